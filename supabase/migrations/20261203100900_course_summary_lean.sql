-- The course summary (seed 004) and every course roll-up in fewer, smaller plans: the summary
-- spent most of its 0.55 ms in starting the executor on nested calls and joins, not in reading.
-- Owns: new definitions of private.module_rollups (an SQL function the planner inlines, with the
-- figures it rolls up beside each module's JSON), private.course_rollup (sums those figures in
-- one statement instead of reading them back out of the JSON) and private.course_navigation
-- (reads lessons and module totals instead of the lesson_catalog view's three-table join, and
-- checks prerequisites inline).
-- Relies on: foundation (rollup_status), rules (module_json, visited, percent,
-- missing_prerequisites), incremental_rollups (module_lesson_totals, learner_module_counts),
-- course_navigation_by_index (the resume index).

/** Section - Roll-ups */

-- Every module of a course that has counting lessons, with its figures. In SQL, so that its
-- callers' plans take it in (as plpgsql it ran as a table function of its own on every call).
drop function private.module_rollups(uuid, uuid);
create function private.module_rollups(p_learner_id uuid, p_course_id uuid)
returns table (module_id uuid, module_position integer, completed bigint, lessons bigint, status text, rollup jsonb)
language sql
stable
begin atomic
  select r.module_id, r.position, r.completed, r.lessons, private.rollup_status(r.completed, r.lessons, r.touched),
         private.module_json(r.module_id, r.completed, r.lessons, r.touched)
  from (
    select t.module_id, m.position, coalesce(c.completed, 0)::bigint as completed, t.lessons::bigint as lessons,
           coalesce(c.started > 0, false) or v.learner_id is not null as touched
    from private.module_lesson_totals t
    join public.modules m on m.id = t.module_id
    left join private.learner_module_counts c on c.learner_id = p_learner_id and c.module_id = t.module_id
    left join public.content_visits v on v.learner_id = p_learner_id and v.content_id = t.module_id
    where t.course_id = p_course_id) r;
end;

-- As in rules: a course is completed when every module is; percent lesson-weighted.
create or replace function private.course_rollup(p_learner_id uuid, p_course_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select jsonb_build_object(
      'courseId', p_course_id,
      'status', case
        when count(*) > 0 and count(*) filter (where m.status = 'completed') = count(*) then 'completed'
        when bool_or(m.status <> 'not-started') or private.visited(p_learner_id, p_course_id) then 'in-progress'
        else 'not-started' end,
      'percent', private.percent(coalesce(sum(m.completed), 0)::bigint, coalesce(sum(m.lessons), 0)::bigint),
      'completedCount', coalesce(sum(m.completed), 0),
      'totalCount', coalesce(sum(m.lessons), 0),
      'modulesCompleted', count(*) filter (where m.status = 'completed'),
      'modulesTotal', count(*),
      'modules', coalesce(jsonb_agg(m.rollup order by m.module_position), '[]'))
    from private.module_rollups(p_learner_id, p_course_id) m);
end;
$$;

/** Section - Navigation */

-- As in course_navigation_by_index. A module with a totals row has counting lessons, so its
-- course and itself are published catalog content (the totals are recounted whenever that
-- changes): its published lessons are the ones that count, and a lesson row belongs to this
-- course's counting lessons exactly when its published lesson's module has a totals row here.
create or replace function private.course_navigation(p_learner_id uuid, p_course_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select jsonb_build_object(
      'next', (
        select jsonb_build_object('lessonId', open.lesson_id, 'moduleId', open.module_id, 'title', open.title)
        from (
          select t.module_id, m.position
          from private.module_lesson_totals t
          join public.modules m on m.id = t.module_id
          left join private.learner_module_counts c on c.learner_id = p_learner_id and c.module_id = t.module_id
          where t.course_id = p_course_id and coalesce(c.completed, 0) < t.lessons
          order by m.position, m.id
        ) incomplete
        cross join lateral (
          select candidate.lesson_id, candidate.module_id, candidate.title
          from (
            select l.id as lesson_id, l.module_id, l.title
            from public.lessons l
            left join public.lesson_progress lp on lp.learner_id = p_learner_id and lp.lesson_id = l.id
            where l.module_id = incomplete.module_id and l.published and lp.completed_at is null
            order by l.position, l.id
            offset 0  -- sort first: the prerequisite checks below run only until one passes
          ) candidate
          -- private.has_prerequisites, inline: a call of its own cost more than its two probes.
          where (not exists (select 1 from public.prerequisites p where p.lesson_id = candidate.lesson_id)
                 and not exists (select 1 from public.prerequisites p where p.module_id = candidate.module_id))
             or jsonb_array_length(private.missing_prerequisites(p_learner_id, candidate.lesson_id)) = 0
          limit 1
        ) open
        order by incomplete.position, incomplete.module_id
        limit 1),
      'resume', (
        select jsonb_build_object('lessonId', l.id, 'moduleId', l.module_id, 'title', l.title,
                                  'lastAccessedAt', private.iso(lp.last_accessed_at))
        from public.lesson_progress lp
        join public.lessons l on l.id = lp.lesson_id and l.published
        join private.module_lesson_totals t on t.module_id = l.module_id and t.course_id = p_course_id
        where lp.learner_id = p_learner_id and lp.completed_at is null
        order by lp.last_accessed_at desc
        limit 1)));
end;
$$;
