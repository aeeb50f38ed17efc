-- The tutorial state's percentage computed inline. private.percent uses its total twice, and the
-- total was a sub-select (the catalog's chapter count, or the learner's own): PostgreSQL does not
-- inline a function whose argument used twice holds a sub-select, so the percentage ran twice per
-- state as an SQL function call of its own, its body read and planned again on every call
-- (BENCHMARKS.md, round 13). Every seed 002 answer carries this state.
-- Owns: a new body of private.tutorial_state.
-- Relies on: tutorials_by_index (the body it replaces), foundation (percent, iso).

/** Section - The tutorial state */

-- As in tutorials_by_index, with the total as a column of a subquery kept apart.
create or replace function private.tutorial_state(p_learner_id uuid, p_key text, p_course public.courses)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    with chapters as (
      select l.id, coalesce(l.external_key, l.id::text) as chapter_id, l.position, m.position as module_position
      from public.lessons l join public.modules m on m.id = l.module_id
      where m.course_id = p_course.id and l.published and m.published
    ),
    watched as (
      select count(*) as touched,
             count(*) filter (where lp.completed_at is not null) as done,
             coalesce(jsonb_agg(jsonb_build_object(
               'chapterId', c.chapter_id, 'watchTime', lp.watch_seconds, 'completed', lp.completed_at is not null,
               'lastPosition', coalesce(lp.last_position_seconds, 0)) order by c.module_position, c.position), '[]') as chapters,
             trim_scale(coalesce(sum(lp.watch_seconds), 0)) as watch_seconds,
             max(lp.last_accessed_at) as last_watched_at
      from chapters c
      cross join lateral (
        select lp.watch_seconds, lp.completed_at, lp.last_position_seconds, lp.last_accessed_at
        from public.lesson_progress lp
        where lp.learner_id = p_learner_id and lp.lesson_id = c.id
        offset 0) lp
    ),
    quizzes as (
      select quiz_key, max(score) as score, max(max_score) as max_score, bool_or(passed) as passed,
             count(*) as attempts, max(created_at) as completed_at
      from public.quiz_attempts
      where learner_id = p_learner_id and course_id = p_course.id and not archived
      group by quiz_key
    ),
    totals as (
      select
        w.done,
        counted.total,
        -- Catalog quizzes must all be passed; for other tutorials, every quiz taken.
        case when p_course.source = 'catalog' then not exists (
               select 1 from public.exercises e join public.lesson_catalog lc on lc.lesson_id = e.lesson_id
               where lc.course_id = p_course.id and lc.counts and e.kind = 'quiz' and e.published
                 and not exists (select 1 from quizzes q where q.quiz_key = e.id::text and q.passed))
             else not exists (select 1 from quizzes where not passed) end as quizzes_passed
      from watched w
      -- The total in a subquery the planner keeps apart (offset 0): a column, not a sub-select.
      cross join lateral (
        select case when p_course.source = 'catalog' then (select count(*) from chapters)
                    -- A tutorial unknown to the catalog: the learner's own count of its chapters.
                    else greatest((select n.chapters from public.tutorial_chapter_counts n
                                   where n.learner_id = p_learner_id and n.course_id = p_course.id),
                                  w.touched) end as total
        offset 0) counted
    ),
    certificate as (
      select id from public.certificates
      where learner_id = p_learner_id and course_id = p_course.id and revoked_at is null
    )
    select jsonb_build_object(
      'tutorialId', p_key,
      'userId', p_learner_id,
      'completionPercentage', least(100, private.percent(t.done, t.total)),
      'chaptersCompleted', t.done,
      'totalChapters', t.total,
      'chapterProgress', w.chapters,
      'quizScores', coalesce((select jsonb_agg(jsonb_build_object(
          'quizId', quiz_key, 'score', score, 'maxScore', max_score, 'passed', passed,
          'attempts', attempts, 'completedAt', private.iso(completed_at)) order by quiz_key) from quizzes), '[]'),
      'certificateEligible', private.percent(t.done, t.total) >= 95 and t.quizzes_passed,
      'certificateEarned', exists (select 1 from certificate),
      'certificateId', (select id from certificate),
      'totalWatchTime', w.watch_seconds,
      'lastWatchedAt', private.iso(w.last_watched_at))
    from totals t, watched w);
end;
$$;
