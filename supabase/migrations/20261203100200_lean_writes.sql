-- Each write touches a lesson row once and asks the counters, not the roll-ups, what it changed.
-- Owns: private.merged_progress (the merge rules of one lesson row, in one place); new bodies of
-- private.merge_lesson_progress (a lesson row seen for the first time is inserted already
-- merged: one heap write instead of an insert and an update) and private.after_progress (a
-- course's percent and completion from the counters); private.course_completion.
-- Relies on: rules (is_completed, lesson_progress's merge contract), incremental_rollups (the
-- counters and module totals, percent).

-- A lesson row (`lp`, or null when the learner has none yet) merged with what a write brings
-- (`r`): the join-semilattice rules of private.merge_lesson_progress. A set-returning SQL
-- function so that the planner inlines it into the statements that use it.
create or replace function private.merged_progress(lp public.lesson_progress, r public.lesson_progress)
returns setof public.lesson_progress
language sql
stable
begin atomic
  select
    r.learner_id,
    r.lesson_id,
    case
      when private.is_completed(greatest(lp.completion_clock, r.completion_clock), greatest(lp.unmark_clock, r.unmark_clock)) then 'completed'
      when r.status = 'not-started' then 'not-started'
      else 'in-progress' end,
    case when private.is_completed(greatest(lp.completion_clock, r.completion_clock), greatest(lp.unmark_clock, r.unmark_clock))
      then least(lp.first_completed_at, date_trunc('milliseconds', r.first_completed_at)) end,
    least(lp.first_completed_at, date_trunc('milliseconds', r.first_completed_at)),
    greatest(lp.completion_clock, r.completion_clock),
    greatest(lp.unmark_clock, r.unmark_clock),
    case
      when private.is_completed(greatest(lp.completion_clock, r.completion_clock), greatest(lp.unmark_clock, r.unmark_clock)) then 100
      when r.status = 'not-started' or lp.status = 'completed' then coalesce(r.progress_percentage, 0)
      else coalesce(r.progress_percentage, lp.progress_percentage, 0) end,
    coalesce(lp.time_spent_seconds, 0),
    coalesce(greatest(lp.watch_seconds, r.watch_seconds), 0),
    coalesce(r.last_position_seconds, lp.last_position_seconds),
    coalesce(r.score, lp.score),
    coalesce(r.data, lp.data),
    greatest(coalesce(lp.last_accessed_at, now()), coalesce(r.last_accessed_at, now())),
    coalesce(lp.created_at, now()),
    now();
end;

-- The one writer of lesson_progress, as the rules migration describes it (merge rules now in
-- private.merged_progress). A lesson row that does not exist yet is inserted merged; the rows
-- that exist (or that a concurrent writer inserted first) are locked, then updated in one
-- statement. Returns how many lessons it completed or uncompleted; a row a concurrent writer
-- inserted counts as not completed before, which at worst runs the roll-ups once more.
create or replace function private.merge_lesson_progress(p_rows jsonb)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_inserted text[];
  v_flips integer;
  v_completed_before jsonb;
begin
  with inserted as (
    insert into public.lesson_progress
    select m.* from jsonb_populate_recordset(null::public.lesson_progress, p_rows) r
    cross join lateral private.merged_progress(null::public.lesson_progress, r) m
    on conflict do nothing
    returning learner_id || '/' || lesson_id as key, completed_at is not null as completed)
  select coalesce(array_agg(key), '{}'), count(*) filter (where completed)
  into v_inserted, v_flips
  from inserted;
  if cardinality(v_inserted) = jsonb_array_length(p_rows) then
    return v_flips;
  end if;

  -- The rows, locked, as they are now (not as this statement's snapshot saw them): a concurrent
  -- writer's completion counts as "before".
  select coalesce(jsonb_object_agg(locked.key, locked.completed), '{}')
  into v_completed_before
  from (select lp.learner_id || '/' || lp.lesson_id as key, lp.completed_at is not null as completed
        from public.lesson_progress lp
        where (lp.learner_id, lp.lesson_id) in (
          select r.learner_id, r.lesson_id from jsonb_populate_recordset(null::public.lesson_progress, p_rows) r)
          and not (lp.learner_id || '/' || lp.lesson_id) = any (v_inserted)
        for update of lp) locked;

  with merged as (
    update public.lesson_progress lp set
      (status, completed_at, first_completed_at, completion_clock, unmark_clock, progress_percentage,
       watch_seconds, last_position_seconds, score, data, last_accessed_at) =
      (select m.status, m.completed_at, m.first_completed_at, m.completion_clock, m.unmark_clock, m.progress_percentage,
              m.watch_seconds, m.last_position_seconds, m.score, m.data, m.last_accessed_at
       from private.merged_progress(lp, r) m)
    from jsonb_populate_recordset(null::public.lesson_progress, p_rows) r
    where lp.learner_id = r.learner_id and lp.lesson_id = r.lesson_id
      and v_completed_before ? (lp.learner_id || '/' || lp.lesson_id)
    returning lp.learner_id, lp.lesson_id, lp.completed_at is not null as completed)
  select v_flips + count(*) into v_flips from merged m
  where m.completed is distinct from (v_completed_before ->> (m.learner_id || '/' || m.lesson_id))::boolean;
  return v_flips;
end;
$$;

-- What an enrollment keeps of the course roll-up, from the counters alone: the percent of its
-- lessons completed, and whether every module is. In plpgsql so that its plan is kept (a SQL
-- function with an aggregate is planned anew on every call).
create or replace function private.course_completion(
  p_learner_id uuid, p_course_id uuid, out percent integer, out completed boolean)
language plpgsql
stable
set search_path = ''
as $$
begin
  select private.percent(coalesce(sum(c.completed), 0), coalesce(sum(t.lessons), 0)),
         count(*) > 0 and bool_and(coalesce(c.completed, 0) = t.lessons)
  into percent, completed
  from private.module_lesson_totals t
  left join private.learner_module_counts c on c.learner_id = p_learner_id and c.module_id = t.module_id
  where t.course_id = p_course_id;
end;
$$;

-- As in incremental_rollups, with the enrollment's percent and completion from
-- private.course_completion instead of the whole course roll-up.
create or replace function private.after_progress(
  p_learner_id uuid, p_course_id uuid, p_completion_changed boolean default true, p_kinds text[] default '{}')
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_course record;
  v_was_completed timestamptz;
  v_now_completed timestamptz;
  v_kinds text[] := p_kinds || case when private.record_activity(p_learner_id) then array['streak_days'] else '{}' end;
begin
  if not p_completion_changed then
    return private.award_achievements(p_learner_id, v_kinds);
  end if;
  v_kinds := v_kinds || array['lessons_completed'];
  if p_course_id is not null then
    select completed_at into v_was_completed from public.enrollments
    where learner_id = p_learner_id and course_id = p_course_id for update;
    if found then
      v_course := private.course_completion(p_learner_id, p_course_id);
      update public.enrollments set
        progress_percentage = v_course.percent,
        completed_at = case when v_course.completed then coalesce(completed_at, now()) end
      where learner_id = p_learner_id and course_id = p_course_id
      returning completed_at into v_now_completed;
      if v_was_completed is null and v_now_completed is not null then
        v_kinds := v_kinds || array['courses_completed'];
        insert into public.notifications (learner_id, type, title, message, data)
        select p_learner_id, 'course_completion', 'Course completed!', format('Congratulations on completing "%s"', title),
               jsonb_build_object('courseId', id)
        from public.courses where id = p_course_id;
      end if;
    end if;
  end if;
  return private.award_achievements(p_learner_id, v_kinds);
end;
$$;
