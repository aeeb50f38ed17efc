-- The merge looks before it inserts: it locks the lesson rows that exist and updates them, then
-- inserts only the rows that are new. It used to try the insert first, so every write to a row
-- that existed (an unmark, most chapters, seed 001's progress, most of a save) ran an insert
-- that did nothing before its lock and update. Same stack, dataset L, one connection, executor
-- time: unmark 0.930 -> 0.873 and 1.093 -> 0.960 ms, seed 001 1.436 -> 1.162 and
-- 1.218 -> 1.012, chapter 2.255 -> 2.103, save 4.412 -> 4.165 (BENCHMARKS.md, round 7).
-- Owns: a new body of private.merge_lesson_progress.
-- Relies on: device_time_in_the_merge (private.merged_progress, the columns the merge writes).

-- As in device_time_in_the_merge, in the other order. A row a concurrent writer inserts after
-- the look is skipped by the insert and merged on the next turn of the loop, as a row that
-- exists; its completion then counts as "before". Returns how many lessons the merge completed
-- or uncompleted. (A lesson named twice in one call is merged once, as before.)
create or replace function private.merge_lesson_progress(p_rows jsonb)
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
