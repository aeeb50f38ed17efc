-- Seed 002's tutorial and chapter ids resolved by index, and the tutorial state read in work that
-- grows with the tutorial, not with the learner's history or the size of the catalog.
-- Owns: private.uuid_or_null; new bodies of private.resolve_tutorial (a catalog course by slug or
-- id through their indexes: the id was compared as text, a scan of every published course),
-- private.resolve_chapter (a catalog chapter by id through the primary key) and
-- private.tutorial_state (the learner's rows of the tutorial's chapters looked up by key, and
-- summed in one pass).
-- Relies on: catalog, progress, rules (percent, iso), api_tutorials.

/** Section - Ids */

-- A client's id as a uuid when it is one, else null (never an error): for ids that may also be
-- slugs or the keys of a tutorial the catalog does not know.
create or replace function private.uuid_or_null(p_id text)
returns uuid
language sql
immutable
begin atomic
  select case when p_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then p_id::uuid end;
end;

/** Section - Tutorials and chapters */

-- As in api_tutorials: a catalog course by slug or id, else the tutorial's own course (made when
-- p_create).
create or replace function private.resolve_tutorial(p_key text, p_create boolean)
returns public.courses
language plpgsql
set search_path = ''
as $$
declare
  v_course public.courses;
begin
  select * into v_course from public.courses c
  where c.published and c.source = 'catalog'
    and (c.slug = p_key or c.id = private.uuid_or_null(p_key));
  if found then
    return v_course;
  end if;
  select * into v_course from public.courses where external_key = p_key;
  if not found and p_create then
    insert into public.courses (slug, title, source, external_key, published)
    values ('tutorial-' || substr(md5(p_key), 1, 16), left(p_key, 200), 'tutorial', p_key, false)
    on conflict (external_key) do update set updated_at = now()
    returning * into v_course;
    insert into public.modules (course_id, slug, title) values (v_course.id, 'chapters', 'Chapters');
  end if;
  return v_course;
end;
$$;

-- As in api_tutorials: a lesson of the catalog course by id (404 when it has none such), or the
-- tutorial's own chapter (made on first use).
create or replace function private.resolve_chapter(p_course public.courses, p_chapter text)
returns uuid
language plpgsql
set search_path = ''
as $$
declare
  v_lesson_id uuid;
  v_module_id uuid;
begin
  if p_course.source = 'catalog' then
    select lc.lesson_id into v_lesson_id from public.lesson_catalog lc
    where lc.lesson_id = private.uuid_or_null(p_chapter) and lc.course_id = p_course.id and lc.counts;
    if v_lesson_id is null then
      perform private.fail(404, 'chapter_not_found', 'This tutorial has no such chapter.', jsonb_build_object('chapterId', p_chapter));
    end if;
    return v_lesson_id;
  end if;
  select l.id into v_lesson_id from public.lessons l join public.modules m on m.id = l.module_id
  where m.course_id = p_course.id and l.external_key = p_chapter;
  if v_lesson_id is null then
    select id into v_module_id from public.modules where course_id = p_course.id;
    insert into public.lessons (module_id, slug, title, external_key, position)
    values (v_module_id, 'chapter-' || substr(md5(p_chapter), 1, 16), left(p_chapter, 200), p_chapter,
            (select count(*) from public.lessons where module_id = v_module_id))
    on conflict (module_id, external_key) do update set updated_at = now()
    returning id into v_lesson_id;
  end if;
  return v_lesson_id;
end;
$$;

/** Section - The tutorial state */

-- Seed 002's progress object, as in api_tutorials. The learner's row of each chapter is looked up
-- by its key (the planner preferred reading every lesson row the learner has, in every course,
-- and joining), and the chapters' figures come from one pass over those rows.
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
        case when p_course.source = 'catalog' then (select count(*) from chapters)
             -- A tutorial unknown to the catalog: the learner's own count of its chapters.
             else greatest((select n.chapters from public.tutorial_chapter_counts n
                            where n.learner_id = p_learner_id and n.course_id = p_course.id),
                           w.touched) end as total,
        -- Catalog quizzes must all be passed; for other tutorials, every quiz taken.
        case when p_course.source = 'catalog' then not exists (
               select 1 from public.exercises e join public.lesson_catalog lc on lc.lesson_id = e.lesson_id
               where lc.course_id = p_course.id and lc.counts and e.kind = 'quiz' and e.published
                 and not exists (select 1 from quizzes q where q.quiz_key = e.id::text and q.passed))
             else not exists (select 1 from quizzes where not passed) end as quizzes_passed
      from watched w
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
