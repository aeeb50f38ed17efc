-- Instructor insight: where learners stop, what they find hard, who needs a nudge. Computed from
-- the progress rows at the time of the request (`asOf`), for the course's instructor or an admin,
-- through the service or straight through PostgREST with their own token.
-- Owns: course_insights, course_nudges, and who may read them.
-- Relies on: foundation (profiles, roles), catalog, progress, platform (require_self).

/** Section - Indexes */
-- The per-quiz and activity sections read a course's attempts.
create index quiz_attempts_course_id on public.quiz_attempts (course_id, created_at);

/** Section - Who may read a course's insight */

-- The course's instructor, or an admin: 404 for no such course, 403 for anyone else. The viewer
-- is the caller (require_self), so that an instructor cannot ask in another's name.
create or replace function private.require_insight_access(p_viewer_id uuid, p_course_id uuid)
returns public.courses
language plpgsql
stable
set search_path = ''
as $$
declare
  v_course public.courses;
begin
  perform private.require_self(p_viewer_id);
  select * into v_course from public.courses where id = p_course_id and source = 'catalog';
  if not found then
    perform private.course_not_found(p_course_id);
  end if;
  if v_course.instructor_id is distinct from p_viewer_id
     and not exists (select 1 from public.profiles where id = p_viewer_id and role = 'admin')
     and not coalesce((select auth.jwt()) -> 'app_metadata' ->> 'role' = 'admin', false) then
    perform private.fail(403, 'not_your_course', 'Insight is for the course''s instructor and admins.', '{}');
  end if;
  return v_course;
end;
$$;

-- How a learner appears to an instructor: an account's name, or a stable short pseudonym for an
-- anonymous learner (never their id).
create or replace function private.learner_label(p_learner_id uuid)
returns text
language sql
stable
begin atomic
  select coalesce(
    (select nullif(p.full_name, '') from public.profiles p where p.id = p_learner_id),
    (select p.username from public.profiles p where p.id = p_learner_id),
    'Learner ' || upper(left(md5('learner-progress:' || p_learner_id::text), 6)));
end;

/** Section - The course's learners, as instructors see them */

-- One row per enrolled learner: enrollment, progress, last activity in the course and where.
create or replace function private.course_learners(p_course_id uuid)
returns table (learner_id uuid, enrolled_at timestamptz, completed_at timestamptz, progress_percentage integer,
               started boolean, last_activity timestamptz, last_lesson_id uuid)
language plpgsql
stable
set search_path = ''
as $$
begin
  return query
  select e.learner_id, e.enrolled_at, e.completed_at, e.progress_percentage, last.lesson_id is not null,
         coalesce(last.last_accessed_at, e.enrolled_at), last.lesson_id
  from public.enrollments e
  left join lateral (
    select lp.lesson_id, lp.last_accessed_at
    from public.lesson_progress lp join public.lesson_catalog lc on lc.lesson_id = lp.lesson_id
    where lp.learner_id = e.learner_id and lc.course_id = p_course_id
    order by lp.last_accessed_at desc limit 1) last on true
  where e.course_id = p_course_id;
end;
$$;

/** Section - Insight */

create or replace function public.course_insights(p_viewer_id uuid, p_course_id uuid, p_inactive_days integer default 7)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_course public.courses := private.require_insight_access(p_viewer_id, p_course_id);
  v_inactive_since timestamptz := now() - make_interval(days => p_inactive_days);
begin
  return (
    with learners as (select * from private.course_learners(p_course_id)),
    lessons as (
      select lc.lesson_id, lc.module_id, lc.title, lc.position, lc.module_position
      from public.lesson_catalog lc where lc.course_id = p_course_id and lc.counts
    ),
    progress as (
      select lp.* from public.lesson_progress lp
      join lessons l on l.lesson_id = lp.lesson_id
      join learners le on le.learner_id = lp.learner_id
    ),
    reached as (  -- (learner, module) pairs with any progress in the module
      select distinct p.learner_id, l.module_id from progress p join lessons l on l.lesson_id = p.lesson_id
    ),
    modules as (
      select m.id, m.title, m.position, (select count(*) from reached r where r.module_id = m.id) as learners
      from public.modules m where m.course_id = p_course_id and m.published
        and exists (select 1 from lessons l where l.module_id = m.id)
    ),
    totals as (
      select count(*) as enrolled, count(*) filter (where started) as started,
             count(*) filter (where completed_at is not null) as completed from learners
    ),
    best as (  -- each learner's best share of the maximum, per quiz
      select q.quiz_key, q.learner_id, max(q.score::numeric / q.max_score) as share, bool_or(q.passed) as passed,
             count(*) as attempts, max(e.title) as title
      from public.quiz_attempts q
      left join public.exercises e on e.id = q.exercise_id
      where q.course_id = p_course_id
      group by q.quiz_key, q.learner_id
    ),
    activity as (
      select d::date as day, count(distinct a.learner_id) as learners
      from generate_series(current_date - 89, current_date, interval '1 day') d
      left join (
        select learner_id, last_accessed_at::date as day from progress
        union all select learner_id, created_at::date from public.quiz_attempts
          where course_id = p_course_id and created_at > now() - interval '90 days'
        union all select learner_id, created_at::date from public.progress_history
          where course_id = p_course_id and created_at > now() - interval '90 days'
      ) a on a.day = d::date
      group by d order by d
    ),
    cohorts as (
      select date_trunc('week', enrolled_at)::date as week, count(*) as learners,
             array_agg(completed_at - date_trunc('week', enrolled_at)) as took
      from learners group by 1
    )
    select jsonb_build_object(
      'course', jsonb_build_object('id', v_course.id, 'title', v_course.title),
      'asOf', private.iso(now()),
      'inactiveDays', p_inactive_days,
      'funnel', (select jsonb_build_object(
          'enrolled', t.enrolled, 'started', t.started, 'completed', t.completed,
          'startedShare', round(t.started::numeric / nullif(t.enrolled, 0), 3),
          'completedShare', round(t.completed::numeric / nullif(t.enrolled, 0), 3),
          'modules', coalesce((select jsonb_agg(jsonb_build_object(
              'moduleId', m.id, 'title', m.title, 'reached', m.learners,
              'reachedShare', round(m.learners::numeric / nullif(t.enrolled, 0), 3)) order by m.position, m.id)
            from modules m), '[]'))
        from totals t),
      'lessons', coalesce((select jsonb_agg(jsonb_build_object(
          'lessonId', l.lesson_id, 'moduleId', l.module_id, 'title', l.title,
          'completed', (select count(*) from progress p where p.lesson_id = l.lesson_id and p.completed_at is not null),
          'completionAmongReached', (select round(count(*) filter (where p.completed_at is not null)::numeric
                                                  / nullif((select count(*) from reached r where r.module_id = l.module_id), 0), 3)
                                     from progress p where p.lesson_id = l.lesson_id),
          'medianTimeSeconds', (select percentile_cont(0.5) within group (order by p.time_spent_seconds)
                                from progress p where p.lesson_id = l.lesson_id and p.time_spent_seconds > 0),
          'dropOff', (select count(*) from learners le
                      where le.last_lesson_id = l.lesson_id and le.last_activity < v_inactive_since
                        and le.completed_at is null))
        order by l.module_position, l.position, l.lesson_id) from lessons l), '[]'),
      'quizzes', coalesce((select jsonb_agg(jsonb_build_object(
          'quizId', quiz_key, 'title', coalesce(title, quiz_key), 'attempts', attempts, 'learners', learners,
          'passRate', round(passed::numeric / learners, 3), 'medianBestScore', round(median::numeric, 3),
          'histogram', histogram) order by quiz_key)
        from (select quiz_key, max(title) as title, sum(attempts) as attempts, count(*) as learners,
                     count(*) filter (where passed) as passed,
                     percentile_cont(0.5) within group (order by share) as median,
                     (select jsonb_agg((select count(*) from best b2 where b2.quiz_key = b.quiz_key
                                          and least(floor(b2.share * 10), 9) = bucket) order by bucket)
                      from generate_series(0, 9) bucket) as histogram
              from best b group by quiz_key) q), '[]'),
      'activity', (select jsonb_agg(jsonb_build_object('day', day, 'activeLearners', learners) order by day) from activity),
      'cohorts', coalesce((select jsonb_agg(jsonb_build_object(
          'week', week, 'learners', learners,
          'completedShareByWeek', (select jsonb_agg(round((select count(*) from unnest(took) d
                                                           where d < make_interval(weeks => w + 1))::numeric / learners, 3)
                                                     order by w)
                                   from generate_series(0, greatest(0, (current_date - week) / 7)) w))
          order by week) from cohorts), '[]')));
end;
$$;
grant execute on function public.course_insights(uuid, uuid, integer) to authenticated;

-- Learners who need a nudge: enrolled, not done, inactive for p_inactive_days, with their progress,
-- last lesson and last activity; sorted by p_sort (inactive: longest first, progress: least first,
-- name). One row per learner, for the JSON answer and the CSV export.
create or replace function public.course_nudges(
  p_viewer_id uuid, p_course_id uuid, p_inactive_days integer default 7, p_sort text default 'inactive')
returns table (learner text, progress_percentage integer, last_lesson text, last_activity text,
               enrolled_at text, inactive_days integer)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_insight_access(p_viewer_id, p_course_id);
  return query
  select private.learner_label(le.learner_id), le.progress_percentage,
         (select l.title from public.lessons l where l.id = le.last_lesson_id),
         private.iso(le.last_activity), private.iso(le.enrolled_at),
         extract(day from now() - le.last_activity)::integer
  from private.course_learners(p_course_id) le
  where le.completed_at is null and le.last_activity < now() - make_interval(days => p_inactive_days)
  order by case when p_sort = 'inactive' then le.last_activity end asc,
           case when p_sort = 'progress' then le.progress_percentage end asc,
           case when p_sort = 'name' then private.learner_label(le.learner_id) end asc,
           le.learner_id;
end;
$$;
grant execute on function public.course_nudges(uuid, uuid, integer, text) to authenticated;
