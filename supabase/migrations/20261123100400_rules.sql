-- The rules every contract shares, computed in SQL in the same transaction as every write.
-- Owns: course access, roll-ups (module <- lessons, course <- modules, theme <- courses, overall
-- <- every course the learner can access), prerequisites, the one lesson merge every write goes
-- through, device time, streaks, achievements, and `after_progress`, which every progress write
-- runs last.
-- Relies on: foundation, catalog, progress, platform.
--
-- Functions that query tables are plpgsql: PostgreSQL plans a SQL-language function with a SET
-- clause again on every call, while plpgsql keeps its plans for the session (a module roll-up
-- went from 0.9 ms to 0.4 ms). Pure helpers have SQL-standard bodies, bound when created, which
-- the planner inlines into the calling query.

/** Section - Access */

-- 404 for a course id that names no course the caller may see.
create or replace function private.course_not_found(p_course_id uuid)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform private.fail(404, 'course_not_found', 'Course not found.', jsonb_build_object('courseId', p_course_id));
end;
$$;

-- The published course a learner may use: 404 when no published course has this id, 403 when it
-- is premium and the learner is not enrolled. With a null learner, only the 404 applies.
create or replace function private.require_course_access(p_learner_id uuid, p_course_id uuid)
returns public.courses
language plpgsql
stable
set search_path = ''
as $$
declare
  v_course public.courses;
begin
  select * into v_course from public.courses where id = p_course_id and published;
  if not found then
    perform private.course_not_found(p_course_id);
  end if;
  if p_learner_id is not null and not private.course_accessible(p_learner_id, p_course_id) then
    perform private.fail(403, 'not_enrolled', 'Enroll in this premium course first.', jsonb_build_object('courseId', p_course_id));
  end if;
  return v_course;
end;
$$;

/** Section - Roll-ups */

-- Whether the learner has opened a module, course or theme (seed 004's visits).
create or replace function private.visited(p_learner_id uuid, p_content_id uuid)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return exists (select 1 from public.content_visits v
                 where v.learner_id = p_learner_id and v.content_id = p_content_id);
end;
$$;

-- A module's roll-up from its counts of counting lessons (touched: any progress or a visit).
create or replace function private.module_json(p_module_id uuid, completed bigint, total bigint, touched boolean)
returns jsonb
language sql
stable
begin atomic
  select jsonb_build_object(
    'moduleId', p_module_id,
    'percent', private.percent(completed, total),
    'completedCount', completed,
    'totalCount', total,
    'status', private.rollup_status(completed, total, touched));
end;

-- One module (one indexed lookup by module).
create or replace function private.module_rollup(p_learner_id uuid, p_module_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select private.module_json(p_module_id, count(lp.completed_at), count(*),
      coalesce(bool_or(lp.lesson_id is not null), false) or private.visited(p_learner_id, p_module_id))
    from public.lesson_catalog lc
    left join public.lesson_progress lp on lp.learner_id = p_learner_id and lp.lesson_id = lc.lesson_id
    where lc.module_id = p_module_id and lc.counts);
end;
$$;

-- Every module of a course that has counting lessons, in one grouped pass over the course's
-- lessons (not one query per module).
create or replace function private.module_rollups(p_learner_id uuid, p_course_id uuid)
returns table (module_id uuid, module_position integer, rollup jsonb)
language plpgsql
stable
set search_path = ''
as $$
begin
  return query
  select lc.module_id, lc.module_position,
    private.module_json(lc.module_id, count(lp.completed_at), count(*),
      bool_or(lp.lesson_id is not null) or private.visited(p_learner_id, lc.module_id))
  from public.lesson_catalog lc
  left join public.lesson_progress lp on lp.learner_id = p_learner_id and lp.lesson_id = lc.lesson_id
  where lc.course_id = p_course_id and lc.counts
  group by lc.module_id, lc.module_position;
end;
$$;

-- Every counting lesson of every course the learner can access. The denominator comes from
-- private.course_lesson_totals, so it costs one row per course, not one per lesson.
create or replace function private.overall_rollup(p_learner_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_accessible uuid[];
  v_total bigint;
  v_completed bigint;
begin
  select array_agg(c.id) into v_accessible
  from public.courses c join private.accessible_courses(p_learner_id) a on a = c.id
  where c.source = 'catalog';
  select coalesce(sum(t.lessons), 0) into v_total
  from private.course_lesson_totals t where t.course_id = any (v_accessible);
  -- The learner's rows drive: two key lookups per completed lesson (LIMIT keeps the planner
  -- from hashing the whole lessons table instead), whatever the size of the catalog.
  select count(*) into v_completed
  from public.lesson_progress lp
  cross join lateral (
    select 1 from public.lessons l join public.modules m on m.id = l.module_id
    where l.id = lp.lesson_id and l.published and m.published and m.course_id = any (v_accessible)
    limit 1) counting
  where lp.learner_id = p_learner_id and lp.completed_at is not null;
  return jsonb_build_object(
    'percent', private.percent(v_completed, v_total),
    'completedCount', v_completed,
    'totalCount', v_total);
end;
$$;

-- A course rolls up from its modules: completed when every module is; percent lesson-weighted.
create or replace function private.course_rollup(p_learner_id uuid, p_course_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    with modules as (
      select r.module_position, r.rollup from private.module_rollups(p_learner_id, p_course_id) r
    ),
    totals as (
      select
        coalesce(sum((rollup ->> 'completedCount')::bigint), 0)::bigint as lessons_done,
        coalesce(sum((rollup ->> 'totalCount')::bigint), 0)::bigint as lessons_total,
        count(*) filter (where rollup ->> 'status' = 'completed') as modules_done,
        count(*) as modules_total,
        coalesce(bool_or(rollup ->> 'status' <> 'not-started'), false) as touched
      from modules
    )
    select jsonb_build_object(
      'courseId', p_course_id,
      'status', case
        when t.modules_total > 0 and t.modules_done = t.modules_total then 'completed'
        when t.touched or private.visited(p_learner_id, p_course_id) then 'in-progress'
        else 'not-started' end,
      'percent', private.percent(t.lessons_done, t.lessons_total),
      'completedCount', t.lessons_done,
      'totalCount', t.lessons_total,
      'modulesCompleted', t.modules_done,
      'modulesTotal', t.modules_total,
      'modules', coalesce((select jsonb_agg(m.rollup order by m.module_position) from modules m), '[]'))
    from totals t);
end;
$$;

-- A theme rolls up from the courses in it that the learner can access.
create or replace function private.theme_rollup(p_learner_id uuid, p_theme_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    with courses as (
      select private.course_rollup(p_learner_id, c.id) as rollup
      from public.courses c join private.accessible_courses(p_learner_id) a on a = c.id
      where c.theme_id = p_theme_id
    ),
    totals as (
      select
        coalesce(sum((rollup ->> 'completedCount')::bigint), 0)::bigint as lessons_done,
        coalesce(sum((rollup ->> 'totalCount')::bigint), 0)::bigint as lessons_total,
        count(*) filter (where rollup ->> 'status' = 'completed') as courses_done,
        count(*) filter (where (rollup ->> 'modulesTotal')::int > 0) as courses_total,
        coalesce(bool_or(rollup ->> 'status' <> 'not-started'), false) as touched
      from courses
    )
    select jsonb_build_object(
      'themeId', p_theme_id,
      'status', case
        when courses_total > 0 and courses_done = courses_total then 'completed'
        when touched or private.visited(p_learner_id, p_theme_id) then 'in-progress'
        else 'not-started' end,
      'percent', private.percent(lessons_done, lessons_total),
      'completedCount', lessons_done,
      'totalCount', lessons_total,
      'coursesCompleted', courses_done,
      'coursesTotal', courses_total)
    from totals);
end;
$$;

/** Section - Prerequisites */

-- The prerequisites of a lesson (its own and its module's) the learner has not completed.
-- A required lesson or module that does not count (unpublished) cannot block anyone.
create or replace function private.missing_prerequisites(p_learner_id uuid, p_lesson_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    with required as (
      select p.required_lesson_id, p.required_module_id
      from public.prerequisites p
      where p.lesson_id = p_lesson_id
         or p.module_id = (select l.module_id from public.lessons l where l.id = p_lesson_id)
    ),
    missing as (
      select 'lesson' as type, l.id, l.title
      from required r
      join public.lessons l on l.id = r.required_lesson_id
      join public.lesson_catalog lc on lc.lesson_id = l.id and lc.counts
      where not exists (
        select 1 from public.lesson_progress lp
        where lp.learner_id = p_learner_id and lp.lesson_id = l.id and lp.completed_at is not null)
      union
      select 'module', m.id, m.title
      from required r
      join public.modules m on m.id = r.required_module_id
      where exists (
        select 1 from public.lesson_catalog lc
        where lc.module_id = m.id and lc.counts and not exists (
          select 1 from public.lesson_progress lp
          where lp.learner_id = p_learner_id and lp.lesson_id = lc.lesson_id and lp.completed_at is not null))
    )
    select coalesce(jsonb_agg(jsonb_build_object('id', id, 'type', type, 'title', title) order by type, title), '[]')
    from missing);
end;
$$;

/** Section - The lesson write every contract goes through */

-- Checks that a learner may record progress in a lesson and returns its place in the catalog:
-- 404 unknown lesson, 400 unpublished, 403 premium course without enrollment. With p_enroll, a
-- free course is enrolled on first progress and the learner row exists after this call.
create or replace function private.require_lesson_access(
  p_learner_id uuid, p_learner_kind text, p_lesson_id uuid, p_enroll boolean default true)
returns public.lesson_catalog
language plpgsql
set search_path = ''
as $$
declare
  v_lesson public.lesson_catalog;
begin
  select * into v_lesson from public.lesson_catalog where lesson_id = p_lesson_id;
  if not found then
    perform private.fail(404, 'lesson_not_found', 'Lesson not found.', jsonb_build_object('lessonId', p_lesson_id));
  end if;
  if not v_lesson.counts then
    perform private.fail(400, 'lesson_unpublished', 'This lesson is not published.', jsonb_build_object('lessonId', p_lesson_id));
  end if;
  if p_enroll then
    perform private.ensure_learner(p_learner_id, p_learner_kind);
  end if;
  if v_lesson.is_premium then
    perform private.require_course_access(p_learner_id, v_lesson.course_id);
  elsif p_enroll then
    insert into public.enrollments (learner_id, course_id, source)
    values (p_learner_id, v_lesson.course_id, 'progress')
    on conflict do nothing;
  end if;
  return v_lesson;
end;
$$;

-- 409 with exactly which prerequisites are missing, so a front-end can say why it is locked.
create or replace function private.require_unlocked(p_learner_id uuid, p_lesson_id uuid)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_missing jsonb := private.missing_prerequisites(p_learner_id, p_lesson_id);
begin
  if jsonb_array_length(v_missing) > 0 then
    perform private.fail(409, 'prerequisites_missing',
      'Complete the prerequisites of this lesson first.', jsonb_build_object('missing', v_missing));
  end if;
end;
$$;

create or replace function private.is_completed(completion_clock timestamptz, unmark_clock timestamptz)
returns boolean
language sql
immutable
begin atomic
  select completion_clock is not null and (unmark_clock is null or completion_clock >= unmark_clock);
end;

-- The one writer of lesson_progress. Every contract describes what happened as rows (jsonb
-- objects with lesson_progress's column names) and this merges them field by field with
-- join-semilattice rules, so any order, duplication or retry of the same writes converges:
-- first_completed_at is a min, the completion and unmark clocks are maxes, last_accessed_at a
-- max, watch_seconds a max; status and completed_at are derived from the clocks. `status: not-started` in a row is a
-- reset request; score and data are the latest sent. Each row's merge is one atomic UPDATE, so
-- concurrent writers never lose each other's changes. Returns how many lessons it completed or
-- uncompleted, so that a write that changed no completion can skip the roll-ups.
create or replace function private.merge_lesson_progress(p_rows jsonb)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_completed_before jsonb;
  v_flips integer;
begin
  insert into public.lesson_progress (learner_id, lesson_id, status, progress_percentage)
  select distinct r.learner_id, r.lesson_id, 'not-started', 0
  from jsonb_populate_recordset(null::public.lesson_progress, p_rows) r
  on conflict do nothing;

  -- The rows, locked, as they are now (not as this statement's snapshot saw them): a concurrent
  -- writer's completion counts as "before".
  select coalesce(jsonb_object_agg(locked.key, locked.completed), '{}')
  into v_completed_before
  from (select lp.learner_id || '/' || lp.lesson_id as key, lp.completed_at is not null as completed
        from public.lesson_progress lp
        where (lp.learner_id, lp.lesson_id) in (
          select r.learner_id, r.lesson_id from jsonb_populate_recordset(null::public.lesson_progress, p_rows) r)
        for update of lp) locked;

  with merged as (
  update public.lesson_progress lp set
    first_completed_at = least(lp.first_completed_at, date_trunc('milliseconds', r.first_completed_at)),
    completion_clock = greatest(lp.completion_clock, r.completion_clock),
    unmark_clock = greatest(lp.unmark_clock, r.unmark_clock),
    status = case
      when private.is_completed(greatest(lp.completion_clock, r.completion_clock), greatest(lp.unmark_clock, r.unmark_clock)) then 'completed'
      when r.status = 'not-started' then 'not-started'
      else 'in-progress' end,
    completed_at = case when private.is_completed(greatest(lp.completion_clock, r.completion_clock), greatest(lp.unmark_clock, r.unmark_clock))
      then least(lp.first_completed_at, date_trunc('milliseconds', r.first_completed_at)) end,
    progress_percentage = case
      when private.is_completed(greatest(lp.completion_clock, r.completion_clock), greatest(lp.unmark_clock, r.unmark_clock)) then 100
      when r.status = 'not-started' or lp.status = 'completed' then coalesce(r.progress_percentage, 0)
      else coalesce(r.progress_percentage, lp.progress_percentage) end,
    score = coalesce(r.score, lp.score),
    data = coalesce(r.data, lp.data),
    watch_seconds = greatest(lp.watch_seconds, r.watch_seconds),
    last_position_seconds = coalesce(r.last_position_seconds, lp.last_position_seconds),
    last_accessed_at = greatest(lp.last_accessed_at, coalesce(r.last_accessed_at, now()))
  from jsonb_populate_recordset(null::public.lesson_progress, p_rows) r
  where lp.learner_id = r.learner_id and lp.lesson_id = r.lesson_id
  returning lp.learner_id, lp.lesson_id, lp.completed_at is not null as completed)
  select count(*) into v_flips from merged m
  where m.completed is distinct from (v_completed_before ->> (m.learner_id || '/' || m.lesson_id))::boolean;
  return v_flips;
end;
$$;

-- One lesson's completion (at p_at) or unmark (at p_at), as a row for the merge.
create or replace function private.completion_row(p_learner_id uuid, p_lesson_id uuid, p_completed boolean, p_at timestamptz)
returns jsonb
language sql
immutable
begin atomic
  select case when p_completed
    then jsonb_build_object('learner_id', p_learner_id, 'lesson_id', p_lesson_id,
                            'completion_clock', p_at, 'first_completed_at', p_at)
    else jsonb_build_object('learner_id', p_learner_id, 'lesson_id', p_lesson_id, 'unmark_clock', p_at)
  end;
end;

-- Each device's running total per lesson: the largest counts (a re-sent counter never adds),
-- and a lesson's time is the sum over its devices. Rows: [{lesson_id, device_id, seconds}];
-- the lessons' progress rows must exist.
create or replace function private.record_device_time(p_learner_id uuid, p_rows jsonb)
returns void
language plpgsql
set search_path = ''
as $$
begin
  insert into public.lesson_device_time as t (learner_id, lesson_id, device_id, seconds)
  select p_learner_id, (r ->> 'lesson_id')::uuid, r ->> 'device_id', trim_scale(round((r ->> 'seconds')::numeric, 3))
  from jsonb_array_elements(p_rows) r
  on conflict (learner_id, lesson_id, device_id) do update
    set seconds = excluded.seconds, updated_at = now()
    where excluded.seconds > t.seconds;

  update public.lesson_progress lp
  set time_spent_seconds = (select trim_scale(coalesce(sum(seconds), 0)) from public.lesson_device_time t
                            where t.learner_id = lp.learner_id and t.lesson_id = lp.lesson_id)
  where lp.learner_id = p_learner_id
    and lp.lesson_id in (select (r ->> 'lesson_id')::uuid from jsonb_array_elements(p_rows) r);
end;
$$;

/** Section - What learners assert */

-- How far time a device reports may run ahead of the wall clock: clock skew, and what a learner
-- watched in the minutes before they were first seen. Documented in the README (Integrity).
create or replace function private.reported_time_margin()
returns interval
language sql
immutable
begin atomic
  select interval '10 minutes';
end;

-- Seconds of learning that can have passed since `since`: the wall clock plus the margin.
create or replace function private.seconds_allowed_since(since timestamptz)
returns numeric
language sql
stable
begin atomic
  select trim_scale(round(greatest(0, extract(epoch from now() - since + private.reported_time_margin())), 3));
end;

-- Reported per-device totals ([{lesson_id, device_id, seconds}]), each bounded by the wall
-- clock: a device's total for a lesson grows at most by the time since that device's last
-- report (on any lesson; for its first, since the learner was first seen), plus the margin.
create or replace function private.bound_device_time(p_learner_id uuid, p_rows jsonb)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select coalesce(jsonb_agg(jsonb_build_object(
      'lesson_id', i.lesson_id, 'device_id', i.device_id,
      'seconds', least(i.seconds, coalesce(t.seconds, 0) + private.seconds_allowed_since(coalesce(
        t.updated_at,
        (select max(x.updated_at) from public.lesson_device_time x
         where x.learner_id = p_learner_id and x.device_id = i.device_id),
        l.created_at))))), '[]')
    from jsonb_to_recordset(p_rows) as i(lesson_id uuid, device_id text, seconds numeric)
    join public.learners l on l.id = p_learner_id
    left join public.lesson_device_time t
      on t.learner_id = p_learner_id and t.lesson_id = i.lesson_id and t.device_id = i.device_id);
end;
$$;

-- A quiz is passed at the catalog's pass mark, or at 70 % of the maximum where it sets none
-- (seed 001's rule): never on the client's word.
create or replace function private.passes(p_score integer, p_max_score integer, p_pass_mark numeric)
returns boolean
language sql
immutable
begin atomic
  select p_score >= coalesce(p_pass_mark, 0.7) * p_max_score;
end;

/** Section - Items (seed 004's shape, also read by the content API) */

-- Seed 004's item for one lesson or exercise, from its progress row (null: never touched).
create or replace function private.item_json(
  p_content_id uuid, p_content_type text, p_status text, p_progress_percentage integer, p_score integer,
  p_data jsonb, p_completed_at timestamptz, p_last_accessed_at timestamptz)
returns jsonb
language sql
stable
begin atomic
  select jsonb_build_object(
    'contentId', p_content_id,
    'contentType', p_content_type,
    'status', coalesce(p_status, 'not-started'),
    'progressPercentage', coalesce(p_progress_percentage, 0),
    'score', p_score,
    'data', p_data,
    'completedAt', private.iso(p_completed_at),
    'lastAccessedAt', private.iso(p_last_accessed_at));
end;

create or replace function private.lesson_item(p_learner_id uuid, p_lesson_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select private.item_json(p_lesson_id, 'lesson', lp.status, lp.progress_percentage, lp.score, lp.data,
                             lp.completed_at, lp.last_accessed_at)
    from (select 1) one
    left join public.lesson_progress lp on lp.learner_id = p_learner_id and lp.lesson_id = p_lesson_id);
end;
$$;

/** Section - Streaks and achievements */

-- The zone a learner's days count in now (see learners.time_zone_from).
create or replace function private.zone_in_force(p_learner public.learners)
returns text
language sql
stable
begin atomic
  select case when p_learner.time_zone_from is null or now() >= p_learner.time_zone_from
              then p_learner.time_zone else p_learner.streak_time_zone end;
end;

-- Streak: consecutive days with progress, in the learner's time zone, ending at the latest one.
-- Only the first progress of a day changes it, so later writes that day touch nothing here (no
-- window query, and no update of the learner's row that concurrent writes would queue behind).
create or replace function private.record_activity(p_learner_id uuid)
returns boolean
language plpgsql
set search_path = ''
as $$
begin
  with today as (
    insert into public.learner_activity_days (learner_id, day)
    select l.id, (now() at time zone private.zone_in_force(l))::date from public.learners l where l.id = p_learner_id
    on conflict do nothing
    returning day
  ),
  days as (
    select day, row_number() over (order by day desc) - 1 as back
    from (select day from public.learner_activity_days where learner_id = p_learner_id
          union select day from today
          order by day desc limit 3660) recent
  )
  update public.learners set
    streak_days = (select count(*) from days where day = (select max(day) from days) - back::integer),
    last_active_on = (select max(day) from days)
  where id = p_learner_id and exists (select 1 from today);
  return found;  -- a first activity today: the streak may have moved
end;
$$;

-- A streak is broken once a whole day has passed without progress (in the learner's zone).
create or replace function private.current_streak(p_learner public.learners)
returns integer
language sql
stable
begin atomic
  select case when p_learner.last_active_on >= (now() at time zone private.zone_in_force(p_learner))::date - 1
              then p_learner.streak_days else 0 end;
end;

-- Awards every active achievement whose criteria the learner now meets, each at most once, adds
-- its points and leaves a notification. Returns the achievements earned by this call; those the
-- learner already holds are not checked again.
create or replace function private.award_achievements(p_learner_id uuid, p_kinds text[] default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_earned jsonb;
begin
  -- Only the kinds of criteria the write can have moved (null: every kind), and only if the
  -- learner still lacks one of them: most writes of a learner who holds them stop here.
  if not exists (select 1 from public.achievements a
                 where a.is_active and (p_kinds is null or a.criteria ->> 'type' = any (p_kinds))
                   and not exists (select 1 from public.user_achievements ua
                                   where ua.learner_id = p_learner_id and ua.achievement_id = a.id)) then
    return '[]';
  end if;
  with stats as (
    select
      (select count(*) from public.enrollments where learner_id = p_learner_id and completed_at is not null) as courses,
      (select count(distinct (course_id, quiz_key)) from public.quiz_attempts where learner_id = p_learner_id and passed) as quizzes,
      lessons.completed as lessons,
      lessons.seconds,
      (select private.current_streak(l) from public.learners l where l.id = p_learner_id) as streak
    from (select count(*) filter (where completed_at is not null) as completed,
                 coalesce(sum(greatest(time_spent_seconds, watch_seconds)), 0) as seconds
          from public.lesson_progress where learner_id = p_learner_id) lessons
  ),
  met as (
    select a.* from public.achievements a, stats s
    where a.is_active and (p_kinds is null or a.criteria ->> 'type' = any (p_kinds))
      and not exists (select 1 from public.user_achievements ua
                      where ua.learner_id = p_learner_id and ua.achievement_id = a.id)
      and case a.criteria ->> 'type'
      when 'courses_completed' then s.courses >= (a.criteria ->> 'count')::bigint
      when 'quizzes_passed' then s.quizzes >= (a.criteria ->> 'count')::bigint
      when 'lessons_completed' then s.lessons >= (a.criteria ->> 'count')::bigint
      when 'time_spent' then s.seconds >= (a.criteria ->> 'seconds')::bigint
      when 'streak_days' then s.streak >= (a.criteria ->> 'days')::bigint
      else false end
  ),
  awarded as (
    insert into public.user_achievements (learner_id, achievement_id)
    select p_learner_id, id from met
    on conflict do nothing
    returning achievement_id, earned_at
  ),
  earned as (
    select m.*, aw.earned_at from met m join awarded aw on aw.achievement_id = m.id
  ),
  points as (
    update public.learners set points = points + (select coalesce(sum(points_value), 0) from earned)
    where id = p_learner_id and exists (select 1 from earned)
  ),
  notified as (
    insert into public.notifications (learner_id, type, title, message, data)
    select p_learner_id, 'achievement', 'Achievement unlocked!', format('You earned the "%s" badge', title),
           jsonb_build_object('achievementId', id, 'points', points_value)
    from earned
  )
  select coalesce(jsonb_agg(jsonb_build_object('id', id, 'title', title, 'description', description, 'icon', icon,
    'badgeColor', badge_color, 'pointsValue', points_value, 'earnedAt', private.iso(earned_at)) order by title), '[]')
  into v_earned
  from earned;
  return v_earned;
end;
$$;

/** Section - After every progress write */

-- What every progress write runs last, in its transaction. A write that completed or uncompleted
-- no lesson (p_completion_changed false) leaves the course roll-up as it was, and checks only the
-- achievements whose criteria it can have moved (p_kinds: time_spent, quizzes_passed), plus
-- streaks on a learner's first activity of the day.
create or replace function private.after_progress(
  p_learner_id uuid, p_course_id uuid, p_completion_changed boolean default true, p_kinds text[] default '{}')
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_rollup jsonb;
  v_was_completed timestamptz;
  v_now_completed timestamptz;
  v_new_day boolean := private.record_activity(p_learner_id);
begin
  if not p_completion_changed then
    return private.award_achievements(p_learner_id,
      p_kinds || case when v_new_day then array['streak_days'] else '{}' end);
  end if;
  if p_course_id is not null then
    select completed_at into v_was_completed from public.enrollments
    where learner_id = p_learner_id and course_id = p_course_id for update;
    if found then
      v_rollup := private.course_rollup(p_learner_id, p_course_id);
      update public.enrollments set
        progress_percentage = (v_rollup ->> 'percent')::integer,
        completed_at = case when v_rollup ->> 'status' = 'completed' then coalesce(completed_at, now()) end
      where learner_id = p_learner_id and course_id = p_course_id
      returning completed_at into v_now_completed;
      if v_was_completed is null and v_now_completed is not null then
        insert into public.notifications (learner_id, type, title, message, data)
        select p_learner_id, 'course_completion', 'Course completed!', format('Congratulations on completing "%s"', title),
               jsonb_build_object('courseId', id)
        from public.courses where id = p_course_id;
      end if;
    end if;
  end if;
  return private.award_achievements(p_learner_id);
end;
$$;
