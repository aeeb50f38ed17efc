-- Lesson rows updated in place (HOT). Every write moves a lesson row's last access, and two
-- indexes on (learner, last access) made each of those updates a new entry in all four of the
-- table's indexes, and a dead entry left in each until vacuum: no update of lesson_progress was
-- HOT, and every lookup by key slowed as the dead entries grew (BENCHMARKS.md, round 14).
-- Owns: dropping lesson_progress_recent and lesson_progress_open; lesson_progress's fillfactor; a
-- new body of private.course_navigation (its resume found without them).
-- Relies on: progress (lesson_progress_recent), course_navigation_by_index (lesson_progress_open),
-- incremental_rollups (learner_module_counts), course_summary_lean (course_navigation).

/** Section - The rows */

drop index public.lesson_progress_recent;
drop index public.lesson_progress_open;

-- Room on each page for a row's next version, so that an update stays on its page (HOT) without
-- waiting for the page's old versions to be pruned: on dataset L, a save's p50 was 0.02 to 0.26 ms
-- lower at 90 than at 100, a mark's 0.02 to 0.04. The setting governs what inserts leave free:
-- pages already full stay full until vacuum prunes them.
alter table public.lesson_progress set (fillfactor = 90);

/** Section - Navigation */

-- As in course_summary_lean, with the resume looked up among the learner's lessons in the modules
-- where they have a lesson row not completed (started > completed), by key, instead of by the
-- learner's index on last access: a handful of lessons, not the learner's whole history.
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
        from private.learner_module_counts c
        join public.lessons l on l.module_id = c.module_id and l.published
        join public.lesson_progress lp on lp.learner_id = p_learner_id and lp.lesson_id = l.id
        where c.learner_id = p_learner_id and c.course_id = p_course_id and c.started > c.completed
          and lp.completed_at is null
        order by lp.last_accessed_at desc
        limit 1)));
end;
$$;
