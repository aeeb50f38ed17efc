-- A save's named lessons, and the device times of any writer, held as typed rows between steps.
-- A save's document was sorted into an accepted document (JSON) and the names it ignores; the
-- merge took the accepted one apart again, gathered each named lesson into a jsonb array and read
-- it back twice (private.incoming_lessons); device time went from each writer to
-- private.bound_device_time and on to private.record_device_time as jsonb arrays, built and parsed
-- at each step. Now private.sort_named_lessons gathers the accepted lessons straight into an array
-- of private.incoming_lesson, and device times travel as an array of private.device_seconds.
-- Measured alone (3 rounds of 2 000 to 5 000 calls in one session): gathering the named lessons
-- and reading them back 64 -> 30 µs for the bench's 11 names, 260 -> 90 for 50; sorting the names
-- with that gathering 188 -> 145 µs for 11 names, 578 -> 490 for 51 (the name's UUID test, a
-- regular expression, runs once a name, not twice); device time's steps 70 -> 24 µs for 10
-- lessons, 285 -> 48 for 50. The whole save against a stack of the code before, dataset L, one
-- connection, pgbench, 3 pairs of 8 s windows in turns: the bench's ten-lesson save within the
-- windows' spread (p50 3.06, 2.98, 2.87 -> 3.07, 2.87, 2.90 ms); a save naming all 50 lessons of
-- its course p50 5.86, 6.02, 5.98 -> 5.48, 5.31, 5.04 ms, executor 4.96, 5.10, 5.14 -> 4.46,
-- 4.37, 4.22.
-- The merge's own rows (private.merge_lesson_progress, shared by every writer) stay jsonb: typed
-- there, the bench's save was no faster (p50 in three pairs of windows: 2.77, 2.79, 2.77 -> 2.89,
-- 2.82, 2.82 ms).
-- (A temporary table is no better: creating one per save rewrote the system catalogs and threw
-- away every cached plan that used it.)
-- Owns: private.incoming_lesson, private.device_seconds, private.sorted_document; new signatures
-- of private.bound_device_time, private.record_device_time, private.sort_named_lessons and
-- private.merge_document; new bodies of public.save_progress_document,
-- public.record_lesson_progress and public.claim_browser_learner; drops private.incoming_lessons.
-- Relies on: named_lessons_by_key (sort_named_lessons), saves_touch_what_they_move
-- (merge_document), device_time_in_the_merge (bound_device_time, record_lesson_progress,
-- claim_browser_learner), time_writers_take_turns (record_device_time: the learner's time lock),
-- write_fast_paths (the generic plans, restated here), api_sync (save_progress_document,
-- incoming_lessons).

/** Section - The named lessons */

-- One lesson a saved document names: when it says it was completed or unmarked, and its time.
create type private.incoming_lesson as (
  lesson_id uuid,
  completed_at timestamptz,
  unmarked_at timestamptz,
  seconds numeric
);

-- One device's running total for one lesson, as a writer reports it.
create type private.device_seconds as (
  lesson_id uuid,
  device_id text,
  seconds numeric
);

/** Section - Device time */

-- As in device_time_in_the_merge, the rows typed: each reported total bounded by the wall clock.
drop function private.bound_device_time(uuid, jsonb);
create function private.bound_device_time(p_learner_id uuid, p_rows private.device_seconds[])
returns private.device_seconds[]
language plpgsql
stable
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
begin
  return (
    select coalesce(array_agg(row(
      i.lesson_id, i.device_id,
      least(i.seconds, coalesce(t.seconds, 0) + private.seconds_allowed_since(coalesce(
        t.updated_at,
        (select max(x.updated_at) from public.lesson_device_time x
         where x.learner_id = p_learner_id and x.device_id = i.device_id),
        l.created_at))))::private.device_seconds), '{}')
    from unnest(p_rows) i
    join public.learners l on l.id = p_learner_id
    left join lateral (
      select t.seconds, t.updated_at from public.lesson_device_time t
      where t.learner_id = p_learner_id and t.lesson_id = i.lesson_id and t.device_id = i.device_id
      offset 0) t on true);
end;
$$;

-- As in time_writers_take_turns, the rows typed: the learner's time lock, each device's largest
-- count kept, and each named lesson's time ({lesson_id: seconds}) returned.
drop function private.record_device_time(uuid, jsonb);
create function private.record_device_time(p_learner_id uuid, p_rows private.device_seconds[])
returns jsonb
language plpgsql
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
declare
  v_times jsonb;
begin
  perform pg_advisory_xact_lock(private.learner_time_lock_key(p_learner_id));

  insert into public.lesson_device_time as t (learner_id, lesson_id, device_id, seconds)
  select p_learner_id, r.lesson_id, r.device_id, trim_scale(round(r.seconds, 3))
  from unnest(p_rows) r
  on conflict (learner_id, lesson_id, device_id) do update
    set seconds = excluded.seconds, updated_at = now()
    where excluded.seconds > t.seconds;

  select coalesce(jsonb_object_agg(named.lesson_id, sums.seconds), '{}')
  into v_times
  from (select distinct r.lesson_id from unnest(p_rows) r) named
  cross join lateral (select trim_scale(sum(t.seconds)) as seconds from public.lesson_device_time t
                      where t.learner_id = p_learner_id and t.lesson_id = named.lesson_id) sums;
  return v_times;
end;
$$;

/** Section - The saved document */

-- What a save applies, sorted from what it names: each lesson it may merge, once; its last lesson;
-- and each name it ignores, with the reason (as sort_named_lessons reported them).
create type private.sorted_document as (
  incoming private.incoming_lesson[],
  last_lesson_id uuid,
  rejected jsonb
);

-- As in named_lessons_by_key (each name looked up by its key, the same reasons), the lessons it
-- accepts gathered straight into typed rows: the accepted document is no longer built as JSON for
-- merge_document to take apart again. A lesson's completion time is the document's completedAt
-- for it, else p_clock.
drop function private.sort_named_lessons(uuid, jsonb, integer);
create function private.sort_named_lessons(
  p_course_id uuid, p_progress jsonb, p_max_seconds integer, p_clock timestamptz)
returns private.sorted_document
language plpgsql
stable
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
declare
  v_sorted private.sorted_document;
begin
  with named as (
    select field, id, value,
           case when id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then id::uuid end as lesson_id
    from (
      select 'completedLessonIds' as field, value #>> '{}' as id, value
        from jsonb_array_elements(coalesce(p_progress -> 'completedLessonIds', '[]'))
      union all select 'lessonTimes', key, value from jsonb_each(coalesce(p_progress -> 'lessonTimes', '{}'))
      union all select 'completedAt', key, value from jsonb_each(coalesce(p_progress -> 'completedAt', '{}'))
      union all select 'unmarkedAt', key, value from jsonb_each(coalesce(p_progress -> 'unmarkedAt', '{}'))
      union all select 'lastLessonId', p_progress ->> 'lastLessonId', p_progress -> 'lastLessonId'
        where p_progress ->> 'lastLessonId' is not null
    ) fields
  ),
  sorted as (
    select n.field, n.id, n.value, lc.lesson_id,  -- the catalog's: the name's test is not run again
           case when lc.lesson_id is null then 'unknown_lesson'
                when not lc.counts then 'unpublished'
                when n.field = 'lessonTimes' and (n.value #>> '{}')::numeric > p_max_seconds then 'over_limit' end as reason
    from named n
    left join lateral (
      select lc.lesson_id, lc.counts from public.lesson_catalog lc
      where lc.lesson_id = n.lesson_id and lc.course_id = p_course_id
      offset 0  -- one lookup per name, not a hash of the course
    ) lc on true
  )
  select
    (select coalesce(array_agg(row(g.lesson_id, g.completed_at, g.unmarked_at, g.seconds)::private.incoming_lesson), '{}')
     from (select s.lesson_id, max(s.completed_at) as completed_at, max(s.unmarked_at) as unmarked_at,
                  max(s.seconds) as seconds
           from (select s.lesson_id,
                        case when s.field = 'completedLessonIds' then
                          private.client_clock(coalesce(p_progress -> 'completedAt' ->> s.id, p_clock::text)) end as completed_at,
                        case when s.field = 'unmarkedAt' then private.client_clock(s.value #>> '{}') end as unmarked_at,
                        case when s.field = 'lessonTimes' then trim_scale(round((s.value #>> '{}')::numeric, 3)) end as seconds
                 from sorted s
                 where s.reason is null and s.field in ('completedLessonIds', 'unmarkedAt', 'lessonTimes')) s
           group by s.lesson_id) g),
    (select s.lesson_id from sorted s where s.field = 'lastLessonId' and s.reason is null),
    (select coalesce(jsonb_agg(jsonb_build_object('lessonId', s.id, 'field', s.field, 'reason', s.reason)
                               order by s.field, s.id), '[]')
     from sorted s where s.reason is not null)
  into v_sorted.incoming, v_sorted.last_lesson_id, v_sorted.rejected;
  return v_sorted;
end;
$$;

-- As in saves_touch_what_they_move, given the lessons sort_named_lessons accepted.
drop function private.merge_document(uuid, uuid, jsonb, timestamptz, text);
create function private.merge_document(
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
  select private.record_device_time(p_learner_id, private.bound_device_time(p_learner_id,
    coalesce(array_agg(row(i.lesson_id, p_device_id, i.seconds)::private.device_seconds), '{}')))
  into v_times
  from unnest(p_incoming) i
  where i.seconds is not null;

  select private.merge_lesson_progress(coalesce(jsonb_agg(
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

-- As in api_sync, with the sorted document typed.
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

  -- Saves of one learner and course queue here, so that each history entry's before and after
  -- are exact. Saves of different courses or learners do not wait for each other.
  insert into public.course_documents (learner_id, course_id) values (p_learner_id, p_course_id)
  on conflict do nothing;
  perform 1 from public.course_documents
  where learner_id = p_learner_id and course_id = p_course_id for update;

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

/** Section - The other writers of device time */

-- As in device_time_in_the_merge, with the lesson's time as a typed row.
create or replace function public.record_lesson_progress(
  p_learner_id uuid, p_learner_kind text, p_lesson_id uuid, p_course_id uuid default null,
  p_completion_percentage integer default null, p_time_spent numeric default null, p_section_progress jsonb default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_lesson public.lesson_catalog := private.require_lesson_access(p_learner_id, p_learner_kind, p_lesson_id);
  v_completing boolean := p_completion_percentage = 100;
  v_achievements jsonb;
  v_flips integer;
  v_times jsonb;
begin
  if p_course_id is not null and p_course_id <> v_lesson.course_id then
    perform private.fail(400, 'course_mismatch', 'This lesson belongs to another course.',
      jsonb_build_object('fields', jsonb_build_object('courseId', jsonb_build_array('Not the lesson''s course.'))));
  end if;
  if v_completing and not exists (select 1 from public.lesson_progress
      where learner_id = p_learner_id and lesson_id = p_lesson_id and completed_at is not null) then
    perform private.require_unlocked(p_learner_id, p_lesson_id);
  end if;
  if p_time_spent is not null then
    v_times := private.record_device_time(p_learner_id, private.bound_device_time(p_learner_id,
      array[row(p_lesson_id, 'platform', p_time_spent)::private.device_seconds]));
  end if;
  v_flips := private.merge_lesson_progress(jsonb_build_array(
    jsonb_build_object('learner_id', p_learner_id, 'lesson_id', p_lesson_id,
      'progress_percentage', p_completion_percentage, 'data', p_section_progress,
      'time_spent_seconds', v_times -> p_lesson_id::text)
    || case when v_completing then private.completion_row(p_learner_id, p_lesson_id, true, clock_timestamp()) else '{}' end));
  v_achievements := private.after_progress(p_learner_id, v_lesson.course_id, v_flips > 0, array['time_spent']);
  return jsonb_build_object(
    -- Seed 001's lesson_progress row, by its column names.
    'progress', (select jsonb_build_object('user_id', learner_id, 'lesson_id', lesson_id, 'course_id', v_lesson.course_id,
        'completion_percentage', progress_percentage, 'time_spent_seconds', time_spent_seconds,
        'section_progress', coalesce(data, '{}'), 'completed_at', private.iso(completed_at),
        'last_accessed', private.iso(last_accessed_at), 'created_at', private.iso(created_at),
        'updated_at', private.iso(updated_at))
      from public.lesson_progress where learner_id = p_learner_id and lesson_id = p_lesson_id),
    'course', (select jsonb_build_object('courseId', course_id, 'progressPercentage', progress_percentage,
        'completedAt', private.iso(completed_at))
      from public.enrollments where learner_id = p_learner_id and course_id = v_lesson.course_id),
    'achievements', v_achievements);
end;
$$;

-- As in device_time_in_the_merge, with the browser learner's device times as typed rows.
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

drop function private.incoming_lessons(jsonb);
