-- A learner's activity is recorded by the day's first write; later writes that day look at the
-- learner's row and stop. Every write that moves progress calls private.record_activity, which
-- tried to insert today's row into learner_activity_days (a conflict on every write but the
-- day's first) in a statement that also set up the streak's window query and the learner's
-- update: 20 µs a call on dataset L, against 7 for a look at `last_active_on` (10 000 calls for
-- 2 000 learners already active that day, two runs each; BENCHMARKS.md round 20).
-- `last_active_on` is set only by that statement, to the latest day recorded, and no learner may
-- write it (foundation: no update of learners for anon and authenticated): when it is today in
-- the learner's zone, today's row exists and the insert would change nothing.
-- Owns: private.record_activity (the look), private.record_day_of_activity (the former
-- record_activity, renamed, its body unchanged).
-- Relies on: rules (record_activity, zone_in_force).

alter function private.record_activity(uuid) rename to record_day_of_activity;

create function private.record_activity(p_learner_id uuid)
returns boolean
language plpgsql
set search_path = ''
as $$
begin
  if exists (select 1 from public.learners l
             where l.id = p_learner_id and l.last_active_on = (now() at time zone private.zone_in_force(l))::date) then
    return false;  -- recorded today already: the streak has not moved
  end if;
  return private.record_day_of_activity(p_learner_id);
end;
$$;
