-- A learner's writes take turns. Writes of one learner sent at once (a save from the offline
-- page, seed 002's chapter, seed 003's mark) could wait on each other in a circle: a save locked
-- the learner's module counter with its first statement of lesson rows and then waited for a
-- lesson row that a chapter had just inserted, while the chapter's counter trigger waited for the
-- save's counter. PostgreSQL breaks such a circle by failing one write (40P01, the API's 503
-- "busy"): 41 of 220 writes of every contract sent 12 at a time failed so. The time lock
-- (time_writers_take_turns) queued only the writers of device time.
-- Now every write of a learner takes the learner's turn (the same advisory lock) before its first
-- lock, and holds it to its commit: at ensure_learner, which every write that may record a
-- learner runs before it writes; at the merge of lesson rows (an unmark records no learner); and
-- first thing in the writes that take a learner id alone (a document's reset, a tutorial's reset,
-- an erasure, a claim). Locks taken after the turn cannot close a circle among that learner's
-- writes. What waits: writes of one learner, a few a minute; reads never take the turn. A catalog
-- edit that deletes lessons, and the prune of old browser learners, touch many learners' rows and
-- do not queue (a circle with them stays possible, and rare: the API answers it 503, retried).
-- The save no longer locks its course_documents row: the turn orders saves.
-- Owns: private.take_learner_turn; new bodies of private.ensure_learner,
-- private.merge_lesson_progress, public.save_progress_document, public.delete_progress_document,
-- public.reset_tutorial, public.erase_learner and public.claim_browser_learner.
-- Relies on: time_writers_take_turns (learner_time_lock_key), checks_that_read_first
-- (ensure_learner), single_lesson_merge (merge_lesson_progress), history_before_as_read
-- (save_progress_document), api_sync (delete_progress_document), api_tutorials (reset_tutorial),
-- data_rights (erase_learner, erase_learner_rows), named_lessons_as_rows (claim_browser_learner).

/** Section - The turn */

-- Waits for the learner's other writes to commit, then holds the learner's turn to this
-- transaction's end (taken again, it is already held).
create function private.take_learner_turn(p_learner_id uuid)
returns void
language sql
begin atomic
  select pg_advisory_xact_lock(private.learner_time_lock_key(p_learner_id));
end;

-- As in checks_that_read_first, the learner's turn taken first.
create or replace function private.ensure_learner(p_learner_id uuid, p_kind text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.take_learner_turn(p_learner_id);
  if exists (select 1 from public.learners l where l.id = p_learner_id and l.kind = p_kind and l.claimed_by is null)
     and (p_kind <> 'account' or exists (select 1 from auth.users where id = p_learner_id)) then
    return;
  end if;
  if (private.require_active_learner(p_learner_id, p_kind)).id is null then
    insert into public.learners (id, kind) values (p_learner_id, p_kind)
    on conflict (id) do nothing;
  end if;
end;
$$;

-- As in single_lesson_merge, the turn of the rows' learner (a merge's rows are one learner's)
-- taken before any row is locked.
create or replace function private.merge_lesson_progress(p_rows jsonb, p_skip_unchanged boolean default false)
returns integer
language plpgsql
set search_path = ''
as $$
begin
  perform private.take_learner_turn((p_rows -> 0 ->> 'learner_id')::uuid);
  if jsonb_array_length(p_rows) = 1 then
    return private.merge_one_lesson(jsonb_populate_record(null::public.lesson_progress, p_rows -> 0), p_skip_unchanged);
  end if;
  return private.merge_lesson_rows(p_rows, p_skip_unchanged);
end;
$$;

/** Section - The writes */

-- As in history_before_as_read, without the lock of the course_documents row.
create or replace function public.save_progress_document(
  p_learner_id uuid, p_learner_kind text, p_course_id uuid, p_progress jsonb,
  p_client_updated_at timestamptz default null, p_device_id text default null,
  p_max_seconds integer default 86400)
returns jsonb
language plpgsql
security definer
set search_path = ''
set client_min_messages = warning
as $$
declare
  v_sorted private.sorted_document;
  v_flips integer;
  v_before jsonb;
  v_after jsonb;
  v_clock timestamptz := private.client_clock(p_client_updated_at::text);
  v_device text := coalesce(p_device_id, 'default');
begin
  perform private.require_course_access(p_learner_id, p_course_id);
  perform private.ensure_learner(p_learner_id, p_learner_kind);
  insert into public.enrollments (learner_id, course_id, source) values (p_learner_id, p_course_id, 'progress')
  on conflict do nothing;

  -- The learner's writes queued at ensure_learner (the learner's turn), so each history entry's
  -- before and after are exact.
  insert into public.course_documents (learner_id, course_id, updated_at)
  values (p_learner_id, p_course_id, '-infinity')
  on conflict do nothing;

  v_sorted := private.sort_named_lessons(p_course_id, p_progress, p_max_seconds, v_clock);
  v_before := private.progress_document(p_learner_id, p_course_id);
  v_flips := private.merge_document(p_learner_id, p_course_id, v_sorted.incoming, v_sorted.last_lesson_id,
                                    v_clock, v_device);
  v_after := private.progress_document(p_learner_id, p_course_id);
  perform private.after_progress(p_learner_id, p_course_id, v_flips > 0, array['time_spent']);

  insert into public.progress_history (learner_id, course_id, device_id, before, incoming, after)
  values (p_learner_id, p_course_id, p_device_id, v_before,
          jsonb_build_object('progress', p_progress, 'clientUpdatedAt', p_client_updated_at),
          coalesce(v_after, 'null'));

  return jsonb_build_object(
    'progress', v_after,
    'rejected', v_sorted.rejected,
    'ignoredLessonIds', (select coalesce(jsonb_agg(distinct r ->> 'lessonId'), '[]')
                         from jsonb_array_elements(v_sorted.rejected) r));
end;
$$;


-- As in api_sync, the turn taken before the before document is read.
create or replace function public.delete_progress_document(p_learner_id uuid, p_course_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_before jsonb;
begin
  perform private.take_learner_turn(p_learner_id);
  v_before := private.progress_document(p_learner_id, p_course_id);
  if v_before is null then
    return jsonb_build_object('courseId', p_course_id, 'deleted', false);
  end if;
  delete from public.lesson_progress lp
  using public.lesson_catalog lc
  where lc.lesson_id = lp.lesson_id and lp.learner_id = p_learner_id and lc.course_id = p_course_id;
  delete from public.course_documents where learner_id = p_learner_id and course_id = p_course_id;
  insert into public.progress_history (learner_id, course_id, before, incoming, after)
  values (p_learner_id, p_course_id, v_before, '{"reset": true}', '{}');
  return jsonb_build_object('courseId', p_course_id, 'deleted', true);
end;
$$;

-- As in api_tutorials, the turn taken first.
create or replace function public.reset_tutorial(p_learner_id uuid, p_tutorial_id text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_course public.courses := private.resolve_tutorial(p_tutorial_id, false);
begin
  perform private.take_learner_turn(p_learner_id);
  if v_course.id is not null then
    delete from public.lesson_progress lp using public.lessons l, public.modules m
    where l.id = lp.lesson_id and m.id = l.module_id and m.course_id = v_course.id and lp.learner_id = p_learner_id;
    update public.quiz_attempts set archived = true
    where learner_id = p_learner_id and course_id = v_course.id and not archived;
    delete from public.tutorial_chapter_counts where learner_id = p_learner_id and course_id = v_course.id;
  end if;
  return jsonb_build_object('success', true, 'message', 'Progress reset successfully');
end;
$$;

-- As in data_rights, the turn taken first.
create or replace function public.erase_learner(p_learner_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.take_learner_turn(p_learner_id);
  return jsonb_build_object('erased', true, 'learnerId', p_learner_id,
                            'removed', private.erase_learner_rows(p_learner_id));
end;
$$;

-- As in named_lessons_as_rows, the browser learner's turn taken first.
create or replace function public.claim_browser_learner(p_learner_id uuid, p_browser_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
set client_min_messages = warning
as $$
declare
  v_learner public.learners;
  v_times jsonb;
begin
  -- The browser learner's turn, then the account's (ensure_learner): every claim takes the two in
  -- this order, and no other write takes two turns.
  perform private.take_learner_turn(p_browser_id);
  select * into v_learner from public.learners where id = p_browser_id for update;
  if not found or v_learner.kind <> 'browser' then
    perform private.fail(404, 'learner_not_found', 'No anonymous learner with this id.', '{}');
  end if;
  if v_learner.claimed_by is not null then
    perform private.fail(409, 'already_claimed', 'This anonymous progress has already been claimed.',
      jsonb_build_object('claimedAt', private.iso(v_learner.claimed_at)));
  end if;
  perform private.ensure_learner(p_learner_id, 'account');

  insert into public.enrollments (learner_id, course_id, source, enrolled_at)
  select p_learner_id, course_id, source, enrolled_at from public.enrollments where learner_id = p_browser_id
  on conflict do nothing;

  -- Device times, completions (with their clocks) and last lessons, merged like saves.
  select private.record_device_time(p_learner_id,
    coalesce(array_agg(row(lesson_id, device_id, seconds)::private.device_seconds), '{}'))
  into v_times
  from public.lesson_device_time where learner_id = p_browser_id;

  perform private.merge_lesson_progress(coalesce(jsonb_agg(
    (to_jsonb(lp) - 'status' - 'progress_percentage')
    || jsonb_build_object('learner_id', p_learner_id, 'time_spent_seconds', v_times -> lp.lesson_id::text)), '[]'))
  from public.lesson_progress lp where lp.learner_id = p_browser_id;

  perform private.merge_last_lesson(p_learner_id, course_id, last_lesson_id, last_lesson_clock)
  from public.course_documents where learner_id = p_browser_id;

  insert into public.exercise_progress (learner_id, exercise_id, status, completed_at, progress_percentage, score, data, last_accessed_at)
  select p_learner_id, exercise_id, status, completed_at, progress_percentage, score, data, last_accessed_at
  from public.exercise_progress where learner_id = p_browser_id
  on conflict do nothing;

  -- The anonymous learner's rows now live in the account; the browser learner is retired.
  delete from public.lesson_progress where learner_id = p_browser_id;
  delete from public.exercise_progress where learner_id = p_browser_id;
  delete from public.course_documents where learner_id = p_browser_id;
  delete from public.enrollments where learner_id = p_browser_id;
  update public.learners set claimed_by = p_learner_id, claimed_at = now() where id = p_browser_id;

  return jsonb_build_object('claimed', true, 'learnerId', p_learner_id, 'anonymousUserId', p_browser_id,
    'courses', (select count(*) from (
      select distinct lc.course_id from public.lesson_progress lp
      join public.lesson_catalog lc on lc.lesson_id = lp.lesson_id where lp.learner_id = p_learner_id) c));
end;
$$;
