-- Writers of one learner's time queue, so that each one's sum counts every device. A lesson's time
-- is the sum of its device counters, and a writer summed them before it locked the lesson's row:
-- two devices reporting the same lesson at once (seed 001's page and a tablet's save, say) each
-- summed without the other's uncommitted counter, and the row kept the larger of two short sums
-- until the lesson's next write. Now a writer takes a lock on its learner's time before it records
-- its counters and holds it to its commit; the next writer's sum, read after that, sees them.
-- One lock a write, not one a lesson: a save names up to MAX_LESSONS_PER_SAVE lessons, and
-- advisory locks share one table, sized at max_locks_per_transaction (64 by default) a connection,
-- which a few concurrent saves of long courses would fill. A learner's writes are a few a minute.
-- Every writer records device time before it merges lesson rows, so waiting here never closes a
-- cycle with the rows' locks.
-- Owns: private.learner_time_lock_key; a new body of private.record_device_time.
-- Relies on: device_time_in_the_merge (record_device_time: its counters and its result),
-- write_fast_paths (its generic plan, restated here).

/** Section - The lock */

-- The advisory lock of one learner's time (its own seed, apart from the course lock's and the
-- idempotency keys').
create function private.learner_time_lock_key(p_learner_id uuid)
returns bigint
language sql
immutable
begin atomic
  select hashtextextended(p_learner_id::text, 29);
end;

/** Section - Device time */

-- As in device_time_in_the_merge, the learner's time lock taken first.
create or replace function private.record_device_time(p_learner_id uuid, p_rows jsonb)
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
  select p_learner_id, (r ->> 'lesson_id')::uuid, r ->> 'device_id', trim_scale(round((r ->> 'seconds')::numeric, 3))
  from jsonb_array_elements(p_rows) r
  on conflict (learner_id, lesson_id, device_id) do update
    set seconds = excluded.seconds, updated_at = now()
    where excluded.seconds > t.seconds;

  select coalesce(jsonb_object_agg(named.lesson_id, sums.seconds), '{}')
  into v_times
  from (select distinct (r ->> 'lesson_id')::uuid as lesson_id from jsonb_array_elements(p_rows) r) named
  cross join lateral (select trim_scale(sum(t.seconds)) as seconds from public.lesson_device_time t
                      where t.learner_id = p_learner_id and t.lesson_id = named.lesson_id) sums;
  return v_times;
end;
$$;
