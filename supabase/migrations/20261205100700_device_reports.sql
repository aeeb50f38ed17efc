-- A device's last report kept in a row of its own, not read off an index over every counter.
-- A device's first report of a lesson is bounded by the wall-clock time since its last report of
-- any lesson (private.bound_device_time). That was the newest updated_at of the learner's counters
-- of the device, read through an index on (learner, device, updated_at). Kept in
-- public.device_reports instead, two things change:
-- - A reset deletes a course's lesson rows and, by cascade, their device counters. With no counter
--   left, the bound fell back to the learner's registration, and the device could report the hours
--   since then again. The last report now outlives the counters it came from.
-- - No index holds a counter's updated_at. Raising a counter is then a HOT update (the row written
--   again in its own page, no index touched) where it added an entry to both indexes, and a new
--   counter adds one index entry, not two.
-- Owns: public.device_reports (its RLS and privileges); drops the index
-- lesson_device_time_last_report; new bodies of private.bound_device_time and
-- private.record_device_time.
-- Relies on: progress (learners, lesson_device_time, the RLS pattern), device_time_in_the_merge
-- (the index), time_writers_take_turns (the learner's time lock), named_lessons_as_rows
-- (bound_device_time, record_device_time).

/** Section - The last reports */

-- When each device of a learner last raised one of its counters.
create table public.device_reports (
  learner_id uuid not null references public.learners (id) on delete cascade,
  device_id text not null check (char_length(device_id) between 1 and 100),
  reported_at timestamptz not null,
  primary key (learner_id, device_id)
);

alter table public.device_reports enable row level security;
create policy "Device reports are visible to their learner"
  on public.device_reports for select to authenticated
  using (learner_id = (select auth.uid()));
-- Only private.record_device_time writes them.
revoke insert, update, delete on public.device_reports from anon, authenticated;

insert into public.device_reports (learner_id, device_id, reported_at)
select learner_id, device_id, max(updated_at) from public.lesson_device_time group by learner_id, device_id;

drop index public.lesson_device_time_last_report;

/** Section - Device time */

-- As in named_lessons_as_rows, a device's first report of a lesson bounded since its last report.
create or replace function private.bound_device_time(p_learner_id uuid, p_rows private.device_seconds[])
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
        (select d.reported_at from public.device_reports d
         where d.learner_id = p_learner_id and d.device_id = i.device_id),
        l.created_at))))::private.device_seconds), '{}')
    from unnest(p_rows) i
    join public.learners l on l.id = p_learner_id
    left join lateral (
      select t.seconds, t.updated_at from public.lesson_device_time t
      where t.learner_id = p_learner_id and t.lesson_id = i.lesson_id and t.device_id = i.device_id
      offset 0) t on true);
end;
$$;

-- As in named_lessons_as_rows, each device whose counter rose stamped as reporting now.
create or replace function private.record_device_time(p_learner_id uuid, p_rows private.device_seconds[])
returns jsonb
language plpgsql
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
declare
  v_times jsonb;
begin
  perform pg_advisory_xact_lock(private.learner_time_lock_key(p_learner_id));

  with raised as (
    insert into public.lesson_device_time as t (learner_id, lesson_id, device_id, seconds)
    select p_learner_id, r.lesson_id, r.device_id, trim_scale(round(r.seconds, 3))
    from unnest(p_rows) r
    on conflict (learner_id, lesson_id, device_id) do update
      set seconds = excluded.seconds, updated_at = now()
      where excluded.seconds > t.seconds
    returning t.device_id)
  insert into public.device_reports as d (learner_id, device_id, reported_at)
  select distinct p_learner_id, r.device_id, now() from raised r
  on conflict (learner_id, device_id) do update
    set reported_at = excluded.reported_at
    where d.reported_at < excluded.reported_at;

  select coalesce(jsonb_object_agg(named.lesson_id, sums.seconds), '{}')
  into v_times
  from (select distinct r.lesson_id from unnest(p_rows) r) named
  cross join lateral (select trim_scale(sum(t.seconds)) as seconds from public.lesson_device_time t
                      where t.learner_id = p_learner_id and t.lesson_id = named.lesson_id) sums;
  return v_times;
end;
$$;
