-- A save's named lessons held as typed rows between the merge's steps. merge_document gathered
-- each lesson a document names into a jsonb array, and read it back twice through
-- private.incoming_lessons (jsonb_to_recordset): every named lesson was turned into JSON and
-- parsed again twice a save. Now they are an array of private.incoming_lesson, read by unnest.
-- Measured alone (11 names, as the bench's save names them, 3 rounds of 5 000 in one session):
-- gathering them and reading them twice took 64 µs as JSON and 30 µs as typed rows, about 1.5 %
-- of the save's executor time; the save's own p50 moves less than its spread between windows.
-- The merge's own rows (private.merge_lesson_progress, shared by every writer) stay jsonb: typed
-- there, the bench's save was no faster (p50 in three pairs of windows: 2.77, 2.79, 2.77 -> 2.89,
-- 2.82, 2.82 ms).
-- (A temporary table is no better: creating one per save rewrote the system catalogs and threw
-- away every cached plan that used it.)
-- Owns: private.incoming_lesson; a new body of private.merge_document; drops
-- private.incoming_lessons.
-- Relies on: saves_touch_what_they_move (merge_document's steps), api_sync (incoming_lessons).

/** Section - The named lessons */

-- One lesson a saved document names: when it says it was completed or unmarked, and its time.
create type private.incoming_lesson as (
  lesson_id uuid,
  completed_at timestamptz,
  unmarked_at timestamptz,
  seconds numeric
);

/** Section - The document's merge */

-- As in saves_touch_what_they_move, with the named lessons as typed rows.
create or replace function private.merge_document(
  p_learner_id uuid, p_course_id uuid, p_progress jsonb, p_clock timestamptz, p_device_id text)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_flips integer;
  v_incoming private.incoming_lesson[];  -- each lesson the document names, once
  v_times jsonb;                         -- each lesson's time, device time recorded
begin
  select coalesce(array_agg(row(id, completed_at, unmarked_at, seconds)::private.incoming_lesson), '{}')
  into v_incoming
  from (
    select id::uuid as id, max(completed_at) as completed_at, max(unmarked_at) as unmarked_at, max(seconds) as seconds
    from (
      select value #>> '{}' as id,
             private.client_clock(coalesce(p_progress -> 'completedAt' ->> (value #>> '{}'), p_clock::text)) as completed_at,
             null::timestamptz as unmarked_at, null::numeric as seconds
        from jsonb_array_elements(coalesce(p_progress -> 'completedLessonIds', '[]'))
      union all
      select key, null, private.client_clock(value #>> '{}'), null
        from jsonb_each(coalesce(p_progress -> 'unmarkedAt', '{}'))
      union all
      select key, null, null, trim_scale(round((value #>> '{}')::numeric, 3))
        from jsonb_each(coalesce(p_progress -> 'lessonTimes', '{}'))
    ) named
    group by id::uuid
  ) grouped;

  select private.record_device_time(p_learner_id, private.bound_device_time(p_learner_id,
    coalesce(jsonb_agg(jsonb_build_object('lesson_id', i.lesson_id, 'device_id', p_device_id, 'seconds', i.seconds)), '[]')))
  into v_times
  from unnest(v_incoming) i
  where i.seconds is not null;

  select private.merge_lesson_progress(coalesce(jsonb_agg(
    jsonb_strip_nulls(jsonb_build_object(
      'learner_id', p_learner_id, 'lesson_id', i.lesson_id,
      'completion_clock', i.completed_at, 'first_completed_at', i.completed_at,
      'unmark_clock', i.unmarked_at, 'time_spent_seconds', v_times -> i.lesson_id::text,
      'last_accessed_at', p_clock))), '[]'), true)
  into v_flips
  from unnest(v_incoming) i;

  perform private.merge_last_lesson(p_learner_id, p_course_id, (p_progress ->> 'lastLessonId')::uuid, p_clock);
  update public.course_documents set updated_at = now()
  where learner_id = p_learner_id and course_id = p_course_id;
  return v_flips;
end;
$$;

drop function private.incoming_lessons(jsonb);
