-- A save takes its history entry's before document from the last save's entry when nothing else
-- has changed the document since. The before document was built by a read of the course's lesson
-- rows in every save, the dearest part of a save after the merge itself (BENCHMARKS.md, rounds 27
-- and 28). Seed 000's client saves one course again and again, and between two of its saves the
-- document mostly stays as the first one left it: that entry's after is then the read's answer.
-- A stamp per learner and course says so. It names the last save's entry; every other writer of
-- the document's rows (a merge of lesson rows, device time, a reset, a claim) clears it first, and
-- a change of the catalog that moves or orders lessons moves a version the stamp must match.
-- Writers take the document's lock before any lesson row or the learner's time lock, as saves
-- do, so that a save and a write of one learner and course take turns in one order.
-- Owns: private.document_stamps, private.document_catalog_version and the catalog triggers that
-- move it, private.document_lock_key, private.stamp_document and private.stamp_documents;
-- private.merge_lesson_progress and private.record_device_time, which stamp and then call the
-- bodies they had (renamed here merge_stamped_lesson_progress and record_stamped_device_time);
-- new bodies of
-- private.merge_document, public.delete_progress_document, public.reset_tutorial,
-- public.claim_browser_learner and public.save_progress_document.
-- Relies on: progress (course_documents, progress_history), catalog (modules, lessons, their
-- positions), single_lesson_merge (merge_lesson_progress), named_lessons_as_rows
-- (record_device_time, merge_document, claim_browser_learner), history_before_as_read
-- (save_progress_document), api_sync (delete_progress_document), api_tutorials (reset_tutorial),
-- time_writers_take_turns (the learner's time lock).

/** Section - Tables */

-- Per learner and course: the history entry whose after is still the course's document (null
-- once another writer changed its rows), and the catalog version that document was read under.
create table private.document_stamps (
  learner_id uuid not null references public.learners (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  history_id bigint,
  catalog_version bigint,
  primary key (learner_id, course_id)
);
create index document_stamps_course_id on private.document_stamps (course_id);

-- Moved by every change of the catalog that changes documents without a writer: a lesson or
-- module deleted (its rows go with it), moved, or ordered anew. One row. (The trigger runs as its
-- owner, as the catalog's other triggers do: instructors edit lessons, not this row.)
create table private.document_catalog_version (
  singleton boolean primary key default true check (singleton),
  version bigint not null default 0
);
insert into private.document_catalog_version default values;

create or replace function private.move_document_catalog_version()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update private.document_catalog_version set version = version + 1;
  return null;
end;
$$;

create trigger lessons_documents_deleted after delete on public.lessons
  for each statement execute function private.move_document_catalog_version();
create trigger lessons_documents_moved after update of module_id, position on public.lessons
  for each statement execute function private.move_document_catalog_version();
create trigger modules_documents_deleted after delete on public.modules
  for each statement execute function private.move_document_catalog_version();
create trigger modules_documents_moved after update of course_id, position on public.modules
  for each statement execute function private.move_document_catalog_version();

/** Section - Stamps cleared by writers */

-- The advisory lock of one learner's course document (its own seed, apart from the course lock's,
-- the learner's time lock's and the idempotency keys'). A save holds it from its start, and every
-- writer of the document takes it before anything else it locks, so that they take turns in one
-- order.
create function private.document_lock_key(p_learner_id uuid, p_course_id uuid)
returns bigint
language sql
immutable
begin atomic
  select hashtextextended(p_learner_id::text || p_course_id::text, 31);
end;

-- A writer of one learner's course document waits for a save of it that is running, clears its
-- stamp, and holds the lock until it commits (a save then waits for it). A stamp already clear
-- is not written again: with the lock held, no save can be setting it.
create or replace function private.stamp_document(p_learner_id uuid, p_course_id uuid)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform pg_advisory_xact_lock(private.document_lock_key(p_learner_id, p_course_id));
  update private.document_stamps set history_id = null
  where learner_id = p_learner_id and course_id = p_course_id and history_id is not null;
end;
$$;

-- The same for the courses of the lessons named, each once, in one order. (Its plans are made
-- once: planned for each call's array, as PostgreSQL chose to, the lookup took 56 µs, not 10.)
create or replace function private.stamp_documents(p_learner_id uuid, p_lesson_ids uuid[])
returns void
language plpgsql
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
declare
  v_course_ids uuid[];
begin
  select array_agg(distinct m.course_id order by m.course_id) into v_course_ids
  from public.lessons l join public.modules m on m.id = l.module_id
  where l.id = any (p_lesson_ids);
  perform pg_advisory_xact_lock(private.document_lock_key(p_learner_id, course_id))
  from unnest(v_course_ids) course_id;
  update private.document_stamps set history_id = null
  where learner_id = p_learner_id and course_id = any (v_course_ids) and history_id is not null;
end;
$$;

-- Every writer's merge and device time, as before, each learner's documents stamped first. The
-- bodies that follow the stamp keep their names with "stamped" in them: a save, which stamped its
-- document first of all, calls them straight (merge_document below).
alter function private.merge_lesson_progress(jsonb, boolean) rename to merge_stamped_lesson_progress;
alter function private.record_device_time(uuid, private.device_seconds[]) rename to record_stamped_device_time;

create function private.merge_lesson_progress(p_rows jsonb, p_skip_unchanged boolean default false)
returns integer
language plpgsql
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
begin
  if jsonb_array_length(p_rows) = 1 then  -- most writes: one lesson
    perform private.stamp_documents((p_rows -> 0 ->> 'learner_id')::uuid, array[(p_rows -> 0 ->> 'lesson_id')::uuid]);
  else
    perform private.stamp_documents(learner_id, array_agg(lesson_id))
    from jsonb_to_recordset(p_rows) r (learner_id uuid, lesson_id uuid)
    group by learner_id
    order by learner_id;
  end if;
  return private.merge_stamped_lesson_progress(p_rows, p_skip_unchanged);
end;
$$;

create function private.record_device_time(p_learner_id uuid, p_rows private.device_seconds[])
returns jsonb
language plpgsql
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
begin
  perform private.stamp_documents(p_learner_id, array(select r.lesson_id from unnest(p_rows) r));
  return private.record_stamped_device_time(p_learner_id, p_rows);
end;
$$;

-- As in named_lessons_as_rows, for a save, which holds its document's stamp already.
create or replace function private.merge_document(
  p_learner_id uuid, p_course_id uuid, p_incoming private.incoming_lesson[], p_last_lesson_id uuid,
  p_clock timestamptz, p_device_id text)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_flips integer;
  v_times jsonb;  -- each lesson's time, device time recorded
begin
  select private.record_stamped_device_time(p_learner_id, private.bound_device_time(p_learner_id,
    coalesce(array_agg(row(i.lesson_id, p_device_id, i.seconds)::private.device_seconds), '{}')))
  into v_times
  from unnest(p_incoming) i
  where i.seconds is not null;

  select private.merge_stamped_lesson_progress(coalesce(jsonb_agg(
    jsonb_strip_nulls(jsonb_build_object(
      'learner_id', p_learner_id, 'lesson_id', i.lesson_id,
      'completion_clock', i.completed_at, 'first_completed_at', i.completed_at,
      'unmark_clock', i.unmarked_at, 'time_spent_seconds', v_times -> i.lesson_id::text,
      'last_accessed_at', p_clock))), '[]'), true)
  into v_flips
  from unnest(p_incoming) i;

  perform private.merge_last_lesson(p_learner_id, p_course_id, p_last_lesson_id, p_clock);
  update public.course_documents set updated_at = now()
  where learner_id = p_learner_id and course_id = p_course_id;
  return v_flips;
end;
$$;

/** Section - Resets */

-- As in api_sync, the document stamped before its rows go.
create or replace function public.delete_progress_document(p_learner_id uuid, p_course_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_before jsonb;
begin
  perform private.stamp_document(p_learner_id, p_course_id);
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

-- As in api_tutorials, the document stamped before its rows go.
create or replace function public.reset_tutorial(p_learner_id uuid, p_tutorial_id text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_course public.courses := private.resolve_tutorial(p_tutorial_id, false);
begin
  if v_course.id is not null then
    perform private.stamp_document(p_learner_id, v_course.id);
    delete from public.lesson_progress lp using public.lessons l, public.modules m
    where l.id = lp.lesson_id and m.id = l.module_id and m.course_id = v_course.id and lp.learner_id = p_learner_id;
    update public.quiz_attempts set archived = true
    where learner_id = p_learner_id and course_id = v_course.id and not archived;
    delete from public.tutorial_chapter_counts where learner_id = p_learner_id and course_id = v_course.id;
  end if;
  return jsonb_build_object('success', true, 'message', 'Progress reset successfully');
end;
$$;

/** Section - Claims */

-- As in named_lessons_as_rows, with every course document of the account the claim can change
-- stamped first, in one order (the anonymous learner's documents, lesson rows and device times).
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
  select * into v_learner from public.learners where id = p_browser_id for update;
  if not found or v_learner.kind <> 'browser' then
    perform private.fail(404, 'learner_not_found', 'No anonymous learner with this id.', '{}');
  end if;
  if v_learner.claimed_by is not null then
    perform private.fail(409, 'already_claimed', 'This anonymous progress has already been claimed.',
      jsonb_build_object('claimedAt', private.iso(v_learner.claimed_at)));
  end if;
  perform private.ensure_learner(p_learner_id, 'account');

  perform private.stamp_document(p_learner_id, touched.course_id)
  from (select course_id from public.course_documents where learner_id = p_browser_id
        union
        select m.course_id from public.lessons l join public.modules m on m.id = l.module_id
        where l.id in (select lesson_id from public.lesson_progress where learner_id = p_browser_id
                       union select lesson_id from public.lesson_device_time where learner_id = p_browser_id)
        order by 1) touched;

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

/** Section - The save */

-- As in history_before_as_read, queued on the stamp first; its before document is the last
-- save's after when the stamp still names that entry under the same catalog, else a read.
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
  v_stamp private.document_stamps;
  v_before jsonb;
  v_after jsonb;
  v_history_id bigint;
  v_clock timestamptz := private.client_clock(p_client_updated_at::text);
  v_device text := coalesce(p_device_id, 'default');
begin
  perform private.require_course_access(p_learner_id, p_course_id);
  perform private.ensure_learner(p_learner_id, p_learner_kind);
  insert into public.enrollments (learner_id, course_id, source) values (p_learner_id, p_course_id, 'progress')
  on conflict do nothing;

  -- Saves of one learner and course queue here, behind and ahead of that course's other writers,
  -- so that each history entry's before and after are exact. Saves of different courses or
  -- learners do not wait for each other.
  perform pg_advisory_xact_lock(private.document_lock_key(p_learner_id, p_course_id));
  select * into v_stamp from private.document_stamps
  where learner_id = p_learner_id and course_id = p_course_id;
  insert into public.course_documents (learner_id, course_id, updated_at)
  values (p_learner_id, p_course_id, '-infinity')
  on conflict do nothing;

  v_sorted := private.sort_named_lessons(p_course_id, p_progress, p_max_seconds, v_clock);
  select h.after into v_before from public.progress_history h
  where h.id = v_stamp.history_id
    and v_stamp.catalog_version = (select version from private.document_catalog_version);
  if not found then  -- the stamp cleared, another catalog, or the entry pruned
    v_before := private.progress_document(p_learner_id, p_course_id);
  end if;
  v_flips := private.merge_document(p_learner_id, p_course_id, v_sorted.incoming, v_sorted.last_lesson_id,
                                    v_clock, v_device);
  -- The version before the read: a catalog change that commits in between moves it past the stamp.
  v_stamp.catalog_version := (select version from private.document_catalog_version);
  v_after := private.progress_document(p_learner_id, p_course_id);
  perform private.after_progress(p_learner_id, p_course_id, v_flips > 0, array['time_spent']);

  insert into public.progress_history (learner_id, course_id, device_id, before, incoming, after)
  values (p_learner_id, p_course_id, p_device_id, v_before,
          jsonb_build_object('progress', p_progress, 'clientUpdatedAt', p_client_updated_at),
          coalesce(v_after, 'null'))
  returning id into v_history_id;
  insert into private.document_stamps as s (learner_id, course_id, history_id, catalog_version)
  values (p_learner_id, p_course_id, v_history_id, v_stamp.catalog_version)
  on conflict (learner_id, course_id) do update
    set history_id = excluded.history_id, catalog_version = excluded.catalog_version;

  return jsonb_build_object(
    'progress', v_after,
    'rejected', v_sorted.rejected,
    'ignoredLessonIds', (select coalesce(jsonb_agg(distinct r ->> 'lessonId'), '[]')
                         from jsonb_array_elements(v_sorted.rejected) r));
end;
$$;
