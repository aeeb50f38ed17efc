-- The course summary (seed 004) in one statement that reads the course's modules once. It was a
-- roll-up, then a navigation that read the modules again for its next lesson and the learner's
-- module counters a third time for its resume, and looked up the lessons of the first incomplete
-- module twice when the learner had a lesson open there. The next lesson and the resume now come
-- from one read of the lessons not completed in the modules they can come from.
-- On dataset L, after the bench's writes (four of a learner's five modules with a lesson open),
-- the old and new summaries at one connection in turns, 8 pairs of 4 s: executor 0.508 -> 0.440
-- ms (lower in every pair), pgbench p50 0.673 -> 0.625 (lower in 6 pairs); before the access
-- check below was made lazy, 0.378 -> 0.340 and 0.523 -> 0.485 in another window.
-- The course's access is checked by its modules: only a published course has modules with
-- counting lessons, so the check (a function call and a statement of its own, about a tenth of
-- the summary's time) runs only for a course without any.
-- The resume, when several open lessons were last opened at the same moment (one save opens up
-- to a document's worth), is the first of them in course order instead of any of them: two reads
-- of the same rows name the same lesson.
-- Owns: private.course_json (a course's roll-up from its modules' figures); new definitions of
-- private.module_rollups (with each module's started lessons), private.course_rollup,
-- public.course_summary and public.next_lesson (the summary's navigation); dropping
-- private.course_navigation.
-- Relies on: foundation (percent, iso, rollup_status), rules (require_course_access, visited,
-- module_json, missing_prerequisites), api_content (course_summary, next_lesson),
-- course_summary_lean (module_rollups, course_rollup).

/** Section - Roll-ups */

-- As in course_summary_lean, with the module's started lessons (its counters' started), which say
-- whether it has a lesson open (started > completed).
drop function private.module_rollups(uuid, uuid);
create function private.module_rollups(p_learner_id uuid, p_course_id uuid)
returns table (module_id uuid, module_position integer, completed bigint, lessons bigint, started bigint,
               status text, rollup jsonb)
language sql
stable
begin atomic
  select r.module_id, r.position, r.completed, r.lessons, r.started,
         private.rollup_status(r.completed, r.lessons, r.touched),
         private.module_json(r.module_id, r.completed, r.lessons, r.touched)
  from (
    select t.module_id, m.position, coalesce(c.completed, 0)::bigint as completed, t.lessons::bigint as lessons,
           coalesce(c.started, 0)::bigint as started,
           coalesce(c.started > 0, false) or v.learner_id is not null as touched
    from private.module_lesson_totals t
    join public.modules m on m.id = t.module_id
    left join private.learner_module_counts c on c.learner_id = p_learner_id and c.module_id = t.module_id
    left join public.content_visits v on v.learner_id = p_learner_id and v.content_id = t.module_id
    where t.course_id = p_course_id) r;
end;

-- A course's roll-up from its modules' figures, which the caller aggregates from
-- private.module_rollups: a course is completed when every module is; percent lesson-weighted.
-- In SQL, so that the caller's plan takes it in.
create function private.course_json(p_learner_id uuid, p_course_id uuid, modules_completed bigint,
                                    modules_total bigint, any_progress boolean, completed bigint,
                                    total bigint, modules jsonb)
returns jsonb
language sql
stable
begin atomic
  select jsonb_build_object(
    'courseId', p_course_id,
    'status', case
      when modules_total > 0 and modules_completed = modules_total then 'completed'
      when any_progress or private.visited(p_learner_id, p_course_id) then 'in-progress'
      else 'not-started' end,
    'percent', private.percent(completed, total),
    'completedCount', completed,
    'totalCount', total,
    'modulesCompleted', modules_completed,
    'modulesTotal', modules_total,
    'modules', modules);
end;

create or replace function private.course_rollup(p_learner_id uuid, p_course_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select private.course_json(p_learner_id, p_course_id, count(*) filter (where m.status = 'completed'), count(*),
                               bool_or(m.status <> 'not-started'), coalesce(sum(m.completed), 0)::bigint,
                               coalesce(sum(m.lessons), 0)::bigint,
                               coalesce(jsonb_agg(m.rollup order by m.module_position), '[]'))
    from private.module_rollups(p_learner_id, p_course_id) m);
end;
$$;

/** Section - The summary */

-- The roll-up, the enrollment, the next lesson (the first one not completed, in course order,
-- whose prerequisites are met) and the resume (the open lesson opened last). A module with a
-- totals row has counting lessons, so its course and itself are published catalog content: its
-- published lessons are the ones that count. The lessons not completed are read once, in the
-- modules the next and the resume can come from: the first incomplete module and those with a
-- lesson open. Only when every lesson left in the first incomplete module waits on a
-- prerequisite does the next lesson look further, module by module.
create or replace function public.course_summary(p_learner_id uuid, p_course_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_summary jsonb;
begin
  v_summary := (
    with modules as materialized (
      select * from private.module_rollups(p_learner_id, p_course_id)),
    first_incomplete as (
      select module_id from modules where completed < lessons order by module_position, module_id limit 1),
    not_completed as materialized (
      select l.id as lesson_id, l.module_id, l.title, o.module_position, l.position, lp.last_accessed_at
      from modules o
      join public.lessons l on l.module_id = o.module_id and l.published
      left join public.lesson_progress lp on lp.learner_id = p_learner_id and lp.lesson_id = l.id
      where (o.started > o.completed or o.module_id = (select module_id from first_incomplete))
        and lp.completed_at is null)
    select private.course_json(p_learner_id, p_course_id, count(*) filter (where m.status = 'completed'), count(*),
                               bool_or(m.status <> 'not-started'), coalesce(sum(m.completed), 0)::bigint,
                               coalesce(sum(m.lessons), 0)::bigint,
                               coalesce(jsonb_agg(m.rollup order by m.module_position), '[]'))
      || jsonb_build_object(
        'enrolled', exists (select 1 from public.enrollments
                            where learner_id = p_learner_id and course_id = p_course_id),
        'next', (
          select jsonb_build_object('lessonId', n.lesson_id, 'moduleId', n.module_id, 'title', n.title)
          from not_completed n
          where n.module_id = (select module_id from first_incomplete)
            -- private.has_prerequisites, inline: a call of its own cost more than its two probes.
            and ((not exists (select 1 from public.prerequisites p where p.lesson_id = n.lesson_id)
                  and not exists (select 1 from public.prerequisites p where p.module_id = n.module_id))
                 or jsonb_array_length(private.missing_prerequisites(p_learner_id, n.lesson_id)) = 0)
          order by n.position, n.lesson_id
          limit 1),
        'resume', (
          select jsonb_build_object('lessonId', r.lesson_id, 'moduleId', r.module_id, 'title', r.title,
                                    'lastAccessedAt', private.iso(r.last_accessed_at))
          from not_completed r
          where r.last_accessed_at is not null
          order by r.last_accessed_at desc, r.module_position, r.module_id, r.position, r.lesson_id
          limit 1))
    from modules m);
  -- Modules with counting lessons mean a published course; without any, the full check says why.
  if (v_summary ->> 'modulesTotal')::integer = 0 then
    perform private.require_course_access(null, p_course_id);
  end if;
  if v_summary -> 'next' = 'null' and (v_summary ->> 'modulesCompleted')::integer < (v_summary ->> 'modulesTotal')::integer then
    -- Every lesson left in the first incomplete module waits on a prerequisite: the next lesson is
    -- the first whose prerequisites are met, module by module. Rare, so a statement of its own.
    v_summary := v_summary || jsonb_build_object('next', (
      select jsonb_build_object('lessonId', open.lesson_id, 'moduleId', open.module_id, 'title', open.title)
      from private.module_rollups(p_learner_id, p_course_id) m
      cross join lateral (
        select l.id as lesson_id, l.module_id, l.title
        from public.lessons l
        left join public.lesson_progress lp on lp.learner_id = p_learner_id and lp.lesson_id = l.id
        where l.module_id = m.module_id and l.published and lp.completed_at is null
          and jsonb_array_length(private.missing_prerequisites(p_learner_id, l.id)) = 0
        order by l.position, l.id
        limit 1) open
      where m.completed < m.lessons
      order by m.module_position, m.module_id
      limit 1));
  end if;
  return v_summary;
end;
$$;

-- The summary's navigation, under the same access rule.
create or replace function public.next_lesson(p_learner_id uuid, p_course_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (select jsonb_build_object('courseId', p_course_id, 'next', s -> 'next', 'resume', s -> 'resume')
          from public.course_summary(p_learner_id, p_course_id) s);
end;
$$;

drop function private.course_navigation(uuid, uuid);
