-- Roll-ups and rules, computed in SQL in the same transaction as every write:
-- module <- lessons, course <- modules (lesson-weighted), theme <- courses, overall <- every
-- course the learner can access; prerequisites; the one helper every lesson write goes through.

/** Section - Errors */

-- Raise an error PostgREST turns into HTTP `status`, with a machine code and details for clients.
create or replace function private.fail(status integer, code text, message text, details jsonb default '{}')
returns void
language plpgsql
set search_path = ''
as $$
begin
  raise exception using
    errcode = 'PT' || status,
    message = message,
    detail = jsonb_build_object('code', code, 'details', details)::text;
end;
$$;

/** Section - Formatting */

-- Every timestamp leaves the database as ISO 8601 UTC with milliseconds, as browsers write them.
create or replace function private.iso(ts timestamptz)
returns text
language sql
immutable
set search_path = ''
as $$
  select to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
$$;

/** Section - Access */

-- A course counts for a learner when it is published and free, or they are enrolled in it.
create or replace function private.course_accessible(p_learner_id uuid, p_course_id uuid)
returns boolean
language sql
stable
set search_path = ''
as $$
  select exists (
    select 1 from public.courses c
    where c.id = p_course_id and c.published
      and (not c.is_premium or exists (
        select 1 from public.enrollments e where e.learner_id = p_learner_id and e.course_id = c.id))
  );
$$;

/** Section - Roll-ups */

create or replace function private.percent(completed bigint, total bigint)
returns integer
language sql
immutable
set search_path = ''
as $$
  -- Floored, so that 100 means every lesson is done.
  select case when total = 0 then 0 else (100 * completed / total)::integer end;
$$;

create or replace function private.rollup_status(completed bigint, total bigint, touched boolean)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when total > 0 and completed = total then 'completed'
    when completed > 0 or touched then 'in-progress'
    else 'not-started'
  end;
$$;

-- A module's counting lessons, with the learner's completions (one indexed lookup by module).
create or replace function private.lesson_counts(p_learner_id uuid, p_module_id uuid)
returns table (completed bigint, total bigint, touched boolean)
language sql
stable
set search_path = ''
as $$
  select
    count(lp.completed_at),
    count(*),
    bool_or(lp.lesson_id is not null)
  from public.lesson_catalog lc
  left join public.lesson_progress lp
    on lp.learner_id = p_learner_id and lp.lesson_id = lc.lesson_id
  where lc.module_id = p_module_id and lc.counts;
$$;

-- Whether the learner has opened a module, course or theme (seed 004's visits).
create or replace function private.visited(p_learner_id uuid, p_content_id uuid)
returns boolean
language sql
stable
set search_path = ''
as $$
  select exists (select 1 from public.content_visits v
                 where v.learner_id = p_learner_id and v.content_id = p_content_id);
$$;

create or replace function private.module_rollup(p_learner_id uuid, p_module_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'moduleId', p_module_id,
    'percent', private.percent(completed, total),
    'completedCount', completed,
    'totalCount', total,
    'status', private.rollup_status(completed, total,
      coalesce(touched, false) or private.visited(p_learner_id, p_module_id)))
  from private.lesson_counts(p_learner_id, p_module_id);
$$;

-- Every counting lesson of every course the learner can access.
create or replace function private.overall_rollup(p_learner_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  with accessible as (
    select c.id from public.courses c
    where c.published
      and (not c.is_premium or exists (
        select 1 from public.enrollments e where e.learner_id = p_learner_id and e.course_id = c.id))
  ),
  counts as (
    select
      (select count(*) from public.lesson_catalog lc
        where lc.counts and lc.course_id in (select id from accessible)) as total,
      (select count(*) from public.lesson_progress lp
        join public.lesson_catalog lc on lc.lesson_id = lp.lesson_id
        where lp.learner_id = p_learner_id and lp.completed_at is not null
          and lc.counts and lc.course_id in (select id from accessible)) as completed
  )
  select jsonb_build_object(
    'percent', private.percent(completed, total),
    'completedCount', completed,
    'totalCount', total)
  from counts;
$$;

-- A course rolls up from its modules: completed when every module is; percent lesson-weighted.
create or replace function private.course_rollup(p_learner_id uuid, p_course_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  with modules as (
    select m.id, m.position, r.rollup
    from public.modules m
    cross join lateral (select private.module_rollup(p_learner_id, m.id) as rollup) r
    where m.course_id = p_course_id and m.published
      and exists (select 1 from public.lesson_catalog lc where lc.module_id = m.id and lc.counts)
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
    'modules', coalesce((select jsonb_agg(rollup order by position) from modules), '[]'))
  from totals t;
$$;

-- A theme rolls up from the courses in it that the learner can access.
create or replace function private.theme_rollup(p_learner_id uuid, p_theme_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  with courses as (
    select private.course_rollup(p_learner_id, c.id) as rollup
    from public.courses c
    where c.theme_id = p_theme_id and private.course_accessible(p_learner_id, c.id)
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
  from totals;
$$;

/** Section - Prerequisites */

-- The prerequisites of a lesson (its own and its module's) the learner has not completed.
-- A required lesson or module that does not count (unpublished) cannot block anyone.
create or replace function private.missing_prerequisites(p_learner_id uuid, p_lesson_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
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
  from missing;
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
  if v_lesson.is_premium then
    if not exists (select 1 from public.enrollments e
                   where e.learner_id = p_learner_id and e.course_id = v_lesson.course_id) then
      perform private.fail(403, 'not_enrolled', 'Enroll in this premium course first.', jsonb_build_object('courseId', v_lesson.course_id));
    end if;
  elsif p_enroll then
    perform private.ensure_learner(p_learner_id, p_learner_kind);
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
set search_path = ''
as $$
  select completion_clock is not null and (unmark_clock is null or completion_clock >= unmark_clock);
$$;

-- The one writer of lesson_progress. Every contract describes what happened as rows (jsonb
-- objects with lesson_progress's column names) and this merges them field by field with
-- join-semilattice rules, so any order, duplication or retry of the same writes converges:
-- first_completed_at is a min, the completion and unmark clocks are maxes, last_accessed_at a
-- max, watch_seconds a max; status and completed_at are derived from the clocks. `status: not-started` in a row is a
-- reset request; score and data are the latest sent. Each row's merge is one atomic UPDATE, so
-- concurrent writers never lose each other's changes.
create or replace function private.merge_lesson_progress(p_rows jsonb)
returns void
language sql
set search_path = ''
as $$
  insert into public.lesson_progress (learner_id, lesson_id, status, progress_percentage)
  select distinct r.learner_id, r.lesson_id, 'not-started', 0
  from jsonb_populate_recordset(null::public.lesson_progress, p_rows) r
  on conflict do nothing;

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
  where lp.learner_id = r.learner_id and lp.lesson_id = r.lesson_id;
$$;

-- One lesson's completion (at p_at) or unmark (at p_at), as a row for the merge.
create or replace function private.completion_row(p_learner_id uuid, p_lesson_id uuid, p_completed boolean, p_at timestamptz)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select case when p_completed
    then jsonb_build_object('learner_id', p_learner_id, 'lesson_id', p_lesson_id,
                            'completion_clock', p_at, 'first_completed_at', p_at)
    else jsonb_build_object('learner_id', p_learner_id, 'lesson_id', p_lesson_id, 'unmark_clock', p_at)
  end;
$$;

create or replace function private.lesson_item(p_learner_id uuid, p_lesson_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'contentId', p_lesson_id,
    'contentType', 'lesson',
    'status', coalesce(lp.status, 'not-started'),
    'progressPercentage', coalesce(lp.progress_percentage, 0),
    'score', lp.score,
    'data', lp.data,
    'completedAt', private.iso(lp.completed_at),
    'lastAccessedAt', private.iso(lp.last_accessed_at))
  from (select 1) one
  left join public.lesson_progress lp on lp.learner_id = p_learner_id and lp.lesson_id = p_lesson_id;
$$;

/** Section - Grants (private helpers are for the service's own functions only) */
revoke execute on all functions in schema private from public, anon, authenticated;
grant execute on function private.is_admin() to anon, authenticated;
