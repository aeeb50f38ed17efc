-- A course's next and resume lessons found by index, in work that does not grow with the
-- learner's history.
-- Owns: the index lesson_progress_open; a new body of private.course_navigation.
-- Relies on: progress (lesson_progress), rules (has_prerequisites, missing_prerequisites),
-- incremental_rollups (the counters and module totals), write_fast_paths (course_navigation).

-- A learner's lessons not completed, most recent first: where a course resumes. The full index
-- on (learner, last access) made the resume query read every completed lesson the learner has,
-- in every course, before it found one to resume.
create index lesson_progress_open on public.lesson_progress (learner_id, last_accessed_at desc)
  where completed_at is null;

-- As in write_fast_paths: `next` is the first lesson, in course order, neither completed nor
-- locked by a prerequisite; `resume` the incomplete lesson last opened. Modules are visited in
-- order and the first incomplete one with an open lesson ends the search (it used to sort every
-- lesson of every incomplete module first).
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
            select lc.lesson_id, lc.module_id, lc.title
            from public.lesson_catalog lc
            left join public.lesson_progress lp on lp.learner_id = p_learner_id and lp.lesson_id = lc.lesson_id
            where lc.module_id = incomplete.module_id and lc.counts and lp.completed_at is null
            order by lc.position, lc.lesson_id
            offset 0  -- sort first: the prerequisite checks below run only until one passes
          ) candidate
          where not private.has_prerequisites(candidate.lesson_id)
             or jsonb_array_length(private.missing_prerequisites(p_learner_id, candidate.lesson_id)) = 0
          limit 1
        ) open
        order by incomplete.position, incomplete.module_id
        limit 1),
      'resume', (
        select jsonb_build_object('lessonId', lc.lesson_id, 'moduleId', lc.module_id, 'title', lc.title,
                                  'lastAccessedAt', private.iso(lp.last_accessed_at))
        from public.lesson_progress lp
        join public.lesson_catalog lc on lc.lesson_id = lp.lesson_id
        where lp.learner_id = p_learner_id and lp.completed_at is null
          and lc.course_id = p_course_id and lc.counts
        order by lp.last_accessed_at desc
        limit 1)));
end;
$$;
