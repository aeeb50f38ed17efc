-- A save rewrites only the lesson rows it moves. Seed 000's client names every lesson it knows in
-- every save, and the merge rewrote each named row with the save's clock as its last access: one
-- new row version per named lesson per save (every index of the table included, since the last
-- access is indexed), and a resume (seed 004) that could not tell the lesson worked on from any
-- other the document named.
-- Owns: a new signature of private.merge_lesson_progress (p_skip_unchanged) and a new body of its
-- caller private.merge_document.
-- Relies on: device_time_in_the_merge (private.merged_progress, merge_document),
-- merge_looks_first (the merge's body).

/** Section - The merge */

-- As in merge_looks_first. With p_skip_unchanged, an existing row that the merge would not change
-- (its last access and update time aside) is left as it is. A document's lessons are named, not
-- opened; a single-lesson write is an access, so its callers keep the default.
drop function private.merge_lesson_progress(jsonb);
create function private.merge_lesson_progress(p_rows jsonb, p_skip_unchanged boolean default false)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_pending jsonb := p_rows;  -- the rows not merged yet
  v_flips integer := 0;
  v_found integer;            -- how many of them exist
  v_completed_before jsonb;   -- {learner/lesson: completed} of those, locked
  v_inserted text[];
begin
  loop
    select count(*), coalesce(jsonb_object_agg(locked.key, locked.completed), '{}')
    into v_found, v_completed_before
    from (select lp.learner_id || '/' || lp.lesson_id as key, lp.completed_at is not null as completed
          from public.lesson_progress lp
          where (lp.learner_id, lp.lesson_id) in (
            select r.learner_id, r.lesson_id from jsonb_populate_recordset(null::public.lesson_progress, v_pending) r)
          for update of lp) locked;

    if v_found > 0 then
      with merged as (
        update public.lesson_progress lp set
          (status, completed_at, first_completed_at, completion_clock, unmark_clock, progress_percentage,
           time_spent_seconds, watch_seconds, last_position_seconds, score, data, last_accessed_at) =
          (select m.status, m.completed_at, m.first_completed_at, m.completion_clock, m.unmark_clock, m.progress_percentage,
                  m.time_spent_seconds, m.watch_seconds, m.last_position_seconds, m.score, m.data, m.last_accessed_at
           from private.merged_progress(lp, r) m)
        from jsonb_populate_recordset(null::public.lesson_progress, v_pending) r
        where lp.learner_id = r.learner_id and lp.lesson_id = r.lesson_id
          and v_completed_before ? (lp.learner_id || '/' || lp.lesson_id)
          and (not p_skip_unchanged or exists (
            select 1 from private.merged_progress(lp, r) m
            where (m.status, m.completed_at, m.first_completed_at, m.completion_clock, m.unmark_clock,
                   m.progress_percentage, m.time_spent_seconds, m.watch_seconds, m.last_position_seconds, m.score, m.data)
                  is distinct from
                  (lp.status, lp.completed_at, lp.first_completed_at, lp.completion_clock, lp.unmark_clock,
                   lp.progress_percentage, lp.time_spent_seconds, lp.watch_seconds, lp.last_position_seconds, lp.score, lp.data)))
        returning lp.learner_id, lp.lesson_id, lp.completed_at is not null as completed)
      select v_flips + count(*) into v_flips from merged m
      where m.completed is distinct from (v_completed_before ->> (m.learner_id || '/' || m.lesson_id))::boolean;
      if v_found = jsonb_array_length(v_pending) then
        return v_flips;
      end if;
    end if;

    with inserted as (
      insert into public.lesson_progress
      select m.* from jsonb_populate_recordset(null::public.lesson_progress, v_pending) r
      cross join lateral private.merged_progress(null::public.lesson_progress, r) m
      where not v_completed_before ? (r.learner_id || '/' || r.lesson_id)
      on conflict do nothing
      returning learner_id || '/' || lesson_id as key, completed_at is not null as completed)
    select coalesce(array_agg(key), '{}'), v_flips + count(*) filter (where completed)
    into v_inserted, v_flips
    from inserted;
    if v_found + cardinality(v_inserted) = jsonb_array_length(v_pending) then
      return v_flips;
    end if;

    -- The rows neither found nor inserted: a concurrent writer inserted them after the look.
    select jsonb_agg(r.value) into v_pending
    from jsonb_array_elements(v_pending) r
    cross join lateral (select (r.value ->> 'learner_id')::uuid || '/' || (r.value ->> 'lesson_id')::uuid as key) named
    where not v_completed_before ? named.key and not named.key = any (v_inserted);
    if v_pending is null then
      return v_flips;
    end if;
  end loop;
end;
$$;

/** Section - The document's merge */

-- As in device_time_in_the_merge, with the document's lessons merged as named, not opened.
create or replace function private.merge_document(
  p_learner_id uuid, p_course_id uuid, p_progress jsonb, p_clock timestamptz, p_device_id text)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_flips integer;
  v_incoming jsonb;  -- each lesson the document names, once: rows for private.incoming_lessons
  v_times jsonb;     -- each lesson's time, device time recorded
begin
  -- (A jsonb value, not a temporary table: creating one per save rewrote the system catalogs
  -- and threw away every cached plan that used it.)
  select coalesce(jsonb_agg(jsonb_build_object('lesson_id', id, 'completed_at', completed_at,
                                               'unmarked_at', unmarked_at, 'seconds', seconds)), '[]')
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
  from private.incoming_lessons(v_incoming) i
  where i.seconds is not null;

  select private.merge_lesson_progress(coalesce(jsonb_agg(
    jsonb_strip_nulls(jsonb_build_object(
      'learner_id', p_learner_id, 'lesson_id', i.lesson_id,
      'completion_clock', i.completed_at, 'first_completed_at', i.completed_at,
      'unmark_clock', i.unmarked_at, 'time_spent_seconds', v_times -> i.lesson_id::text,
      'last_accessed_at', p_clock))), '[]'), true)
  into v_flips
  from private.incoming_lessons(v_incoming) i;

  perform private.merge_last_lesson(p_learner_id, p_course_id, (p_progress ->> 'lastLessonId')::uuid, p_clock);
  update public.course_documents set updated_at = now()
  where learner_id = p_learner_id and course_id = p_course_id;
  return v_flips;
end;
$$;
