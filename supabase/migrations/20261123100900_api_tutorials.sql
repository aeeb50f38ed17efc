-- Seed 002's tutorial API: video chapters, quiz scores and certificates. A tutorial is a course
-- and a chapter a lesson, so chapter progress lands on the rows every contract reads. Tutorial
-- ids the catalog does not know get a course of their own (source 'tutorial') whose chapter
-- count is the client's, never decreasing. Quiz attempts are all kept; retries with the same
-- key count once.
-- Owns: resolving tutorial and chapter ids, the tutorial state, chapter / quiz / complete /
-- reset, and certificate verification.
-- Relies on: rules, idempotency.

/** Section - Tutorials and chapters */

-- The course a tutorial id names: a catalog course by id or slug, else the tutorial's own course
-- (made when p_create). Null when unknown and not created.
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
    and (c.slug = p_key or c.id::text = lower(p_key));
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

-- A chapter of a tutorial: a lesson of the catalog course (by id), or the tutorial's own chapter
-- (made on first use). 404 for a catalog tutorial's unknown chapter.
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
    where lc.course_id = p_course.id and lc.counts and lc.lesson_id::text = lower(p_chapter);
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

-- Seed 002's progress object for a learner and tutorial course.
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
    progress as (
      select c.chapter_id, c.position, c.module_position, lp.watch_seconds, lp.completed_at,
             lp.last_position_seconds, lp.last_accessed_at
      from chapters c join public.lesson_progress lp on lp.lesson_id = c.id and lp.learner_id = p_learner_id
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
        (select count(*) from progress where completed_at is not null) as done,
        case when p_course.source = 'catalog' then (select count(*) from chapters)
             -- A tutorial unknown to the catalog: the learner's own count of its chapters.
             else greatest((select n.chapters from public.tutorial_chapter_counts n
                            where n.learner_id = p_learner_id and n.course_id = p_course.id),
                           (select count(*) from progress)) end as total,
        -- Catalog quizzes must all be passed; for other tutorials, every quiz taken.
        case when p_course.source = 'catalog' then not exists (
               select 1 from public.exercises e join public.lesson_catalog lc on lc.lesson_id = e.lesson_id
               where lc.course_id = p_course.id and lc.counts and e.kind = 'quiz' and e.published
                 and not exists (select 1 from quizzes q where q.quiz_key = e.id::text and q.passed))
             else not exists (select 1 from quizzes where not passed) end as quizzes_passed
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
      'chapterProgress', coalesce((select jsonb_agg(jsonb_build_object(
          'chapterId', chapter_id, 'watchTime', watch_seconds, 'completed', completed_at is not null,
          'lastPosition', coalesce(last_position_seconds, 0)) order by module_position, position) from progress), '[]'),
      'quizScores', coalesce((select jsonb_agg(jsonb_build_object(
          'quizId', quiz_key, 'score', score, 'maxScore', max_score, 'passed', passed,
          'attempts', attempts, 'completedAt', private.iso(completed_at)) order by quiz_key) from quizzes), '[]'),
      'certificateEligible', private.percent(t.done, t.total) >= 95 and t.quizzes_passed,
      'certificateEarned', exists (select 1 from certificate),
      'certificateId', (select id from certificate),
      'totalWatchTime', trim_scale(coalesce((select sum(watch_seconds) from progress), 0)),
      'lastWatchedAt', (select private.iso(max(last_accessed_at)) from progress))
    from totals t);
end;
$$;

-- The default body for a tutorial with nothing stored (and for unknown ids).
create or replace function private.empty_tutorial_state(p_learner_id uuid, p_key text)
returns jsonb
language sql
stable
begin atomic
  select jsonb_build_object('tutorialId', p_key, 'userId', p_learner_id, 'completionPercentage', 0,
    'chaptersCompleted', 0, 'totalChapters', 0, 'chapterProgress', '[]'::jsonb, 'quizScores', '[]'::jsonb,
    'certificateEligible', false, 'certificateEarned', false, 'certificateId', null,
    'totalWatchTime', 0, 'lastWatchedAt', null);
end;

-- Tutorials of the catalog follow its access rules (premium needs enrollment).
create or replace function private.require_tutorial_access(p_learner_id uuid, p_learner_kind text, p_course public.courses)
returns void
language plpgsql
set search_path = ''
as $$
begin
  if p_course.source = 'catalog' then
    perform private.require_course_access(p_learner_id, p_course.id);
  end if;
  perform private.ensure_learner(p_learner_id, p_learner_kind);
  if p_course.source = 'catalog' then
    insert into public.enrollments (learner_id, course_id, source) values (p_learner_id, p_course.id, 'progress')
    on conflict do nothing;
  end if;
end;
$$;

/** Section - Public functions */

create or replace function public.tutorial_progress(p_learner_id uuid, p_tutorial_id text)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_course public.courses := private.resolve_tutorial(p_tutorial_id, false);
begin
  if v_course.id is null then
    return private.empty_tutorial_state(p_learner_id, p_tutorial_id);
  end if;
  return private.tutorial_state(p_learner_id, p_tutorial_id, v_course);
end;
$$;

-- POST .../chapter. Watch time never decreases; the chapter completes on the client's flag or,
-- when the catalog knows its duration, once p_completion_share of it has been watched.
create or replace function public.record_chapter(
  p_learner_id uuid, p_learner_kind text, p_tutorial_id text, p_chapter_id text, p_watch_time numeric,
  p_completed boolean default false, p_last_position numeric default null, p_total_chapters integer default null,
  p_completion_share numeric default 0.95)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_course public.courses := private.resolve_tutorial(p_tutorial_id, true);
  v_lesson_id uuid;
  v_duration integer;
  v_watched numeric;
  v_completed boolean;
  v_flips integer;
begin
  perform private.require_tutorial_access(p_learner_id, p_learner_kind, v_course);
  v_lesson_id := private.resolve_chapter(v_course, p_chapter_id);
  if v_course.source = 'tutorial' and p_total_chapters is not null then
    insert into public.tutorial_chapter_counts as n (learner_id, course_id, chapters)
    values (p_learner_id, v_course.id, p_total_chapters)
    on conflict (learner_id, course_id) do update set chapters = greatest(n.chapters, excluded.chapters);
  end if;
  select duration_seconds into v_duration from public.lessons where id = v_lesson_id;
  -- Watch time grows at most as fast as the wall clock since this chapter's last report (or since
  -- the learner was first seen), plus the margin.
  select greatest(coalesce(lp.watch_seconds, 0), least(trim_scale(round(p_watch_time, 3)),
           coalesce(lp.watch_seconds, 0) + private.seconds_allowed_since(coalesce(lp.updated_at, l.created_at))))
  into v_watched
  from public.learners l
  left join public.lesson_progress lp on lp.learner_id = l.id and lp.lesson_id = v_lesson_id
  where l.id = p_learner_id;
  v_completed := coalesce(p_completed, false) or (v_duration is not null and v_watched >= p_completion_share * v_duration);
  v_flips := private.merge_lesson_progress(jsonb_build_array(
    jsonb_build_object('learner_id', p_learner_id, 'lesson_id', v_lesson_id, 'watch_seconds', v_watched,
                       'last_position_seconds', trim_scale(round(coalesce(p_last_position, p_watch_time), 3)))
    || case when v_completed then private.completion_row(p_learner_id, v_lesson_id, true, clock_timestamp()) else '{}' end));
  perform private.after_progress(p_learner_id, v_course.id, v_flips > 0, array['time_spent']);
  return private.tutorial_state(p_learner_id, p_tutorial_id, v_course);
end;
$$;
select private.accepts_idempotency_key('public.record_chapter(uuid, text, text, text, numeric, boolean, numeric, integer, numeric)');

-- POST .../quiz. Every attempt is kept; the best score shows; `passed` follows the score and the
-- pass mark (the catalog quiz's, else 70 %), whatever the client says. A retry with the same key counts once and gets the same answer.
create or replace function public.record_tutorial_quiz_attempt(
  p_learner_id uuid, p_learner_kind text, p_tutorial_id text, p_quiz_id text, p_score integer,
  p_max_score integer, p_idempotency_key text default null, p_fingerprint text default null,
  p_answers jsonb default null, p_time_taken integer default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_replay jsonb := private.idempotent_replay(p_learner_id, p_idempotency_key, p_fingerprint);
  v_course public.courses;
  v_exercise public.exercises;
begin
  if v_replay is not null then
    return v_replay;
  end if;
  if p_score < 0 or p_score > p_max_score then
    perform private.fail(400, 'score_out_of_range', 'Score must be between 0 and maxScore.',
      jsonb_build_object('fields', jsonb_build_object('score', jsonb_build_array('Must be between 0 and maxScore.'))));
  end if;
  v_course := private.resolve_tutorial(p_tutorial_id, true);
  perform private.require_tutorial_access(p_learner_id, p_learner_kind, v_course);
  if v_course.source = 'catalog' then
    select e.* into v_exercise from public.exercises e join public.lesson_catalog lc on lc.lesson_id = e.lesson_id
    where lc.course_id = v_course.id and e.id::text = lower(p_quiz_id);
  end if;
  insert into public.quiz_attempts (learner_id, course_id, exercise_id, lesson_id, quiz_key, score, max_score, passed,
                                    answers, time_taken_seconds)
  values (p_learner_id, v_course.id, v_exercise.id, v_exercise.lesson_id, p_quiz_id, p_score, p_max_score,
          private.passes(p_score, p_max_score, v_exercise.pass_mark), p_answers, p_time_taken);
  perform private.after_progress(p_learner_id, v_course.id, false, array['quizzes_passed']);
  return private.idempotent_store(p_learner_id, p_idempotency_key, p_fingerprint,
    private.tutorial_state(p_learner_id, p_tutorial_id, v_course));
end;
$$;
select private.accepts_idempotency_key('public.record_tutorial_quiz_attempt(uuid, text, text, text, integer, integer, text, text, jsonb, integer)');

-- POST .../complete: 404 without progress, 400 when not eligible, else a certificate (once).
create or replace function public.complete_tutorial(p_learner_id uuid, p_tutorial_id text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_course public.courses := private.resolve_tutorial(p_tutorial_id, false);
  v_state jsonb;
begin
  if v_course.id is null or not exists (
      select 1 from public.lesson_progress lp join public.lessons l on l.id = lp.lesson_id
      join public.modules m on m.id = l.module_id
      where lp.learner_id = p_learner_id and m.course_id = v_course.id) then
    perform private.fail(404, 'no_progress', 'No progress found for this tutorial.', jsonb_build_object('tutorialId', p_tutorial_id));
  end if;
  v_state := private.tutorial_state(p_learner_id, p_tutorial_id, v_course);
  if not (v_state ->> 'certificateEligible')::boolean and not (v_state ->> 'certificateEarned')::boolean then
    perform private.fail(400, 'not_eligible', 'Not eligible for certificate.',
      jsonb_build_object('completionPercentage', v_state -> 'completionPercentage', 'required', 95));
  end if;
  insert into public.certificates (learner_id, course_id, learner_name, course_title, completed_at)
  select p_learner_id, v_course.id,
         (select nullif(coalesce(u.raw_user_meta_data ->> 'full_name', u.raw_user_meta_data ->> 'name'), '')
          from auth.users u where u.id = p_learner_id),
         v_course.title, now()
  on conflict (learner_id, course_id) do nothing;
  return private.tutorial_state(p_learner_id, p_tutorial_id, v_course) || jsonb_build_object('completionPercentage', 100);
end;
$$;
select private.accepts_idempotency_key('public.complete_tutorial(uuid, text)');

-- DELETE: a retake. Current progress goes; quiz attempts stay in the history (archived) and a
-- certificate already earned stays.
create or replace function public.reset_tutorial(p_learner_id uuid, p_tutorial_id text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_course public.courses := private.resolve_tutorial(p_tutorial_id, false);
begin
  if v_course.id is not null then
    delete from public.lesson_progress lp using public.lessons l, public.modules m
    where l.id = lp.lesson_id and m.id = l.module_id and m.course_id = v_course.id and lp.learner_id = p_learner_id;
    update public.quiz_attempts set archived = true
    where learner_id = p_learner_id and course_id = v_course.id and not archived;
    delete from public.tutorial_chapter_counts where learner_id = p_learner_id and course_id = v_course.id;
  end if;
  return jsonb_build_object('success', true, 'message', 'Progress reset successfully');
end;
$$;
select private.accepts_idempotency_key('public.reset_tutorial(uuid, text)');

-- Anyone may verify a certificate by its id: what it certifies and what that rests on, and nothing
-- else about the learner. A catalog course names the course and its publisher (its instructor);
-- a tutorial the catalog does not know is self-declared (its title is the learner's own text):
-- it is never `valid` as a course, only a record that the learner declared it done.
create or replace function public.verify_certificate(p_certificate_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_certificate public.certificates;
  v_course public.courses;
  v_catalog boolean;
begin
  select * into v_certificate from public.certificates where id = p_certificate_id;
  if not found then
    perform private.fail(404, 'certificate_not_found', 'No certificate with this id.', '{}');
  end if;
  select * into v_course from public.courses where id = v_certificate.course_id;
  v_catalog := v_course.source = 'catalog';
  return jsonb_build_object(
    'certificateId', v_certificate.id,
    'valid', v_certificate.revoked_at is null and v_catalog,
    'status', case when v_certificate.revoked_at is not null then 'revoked'
                   when v_catalog then 'valid' else 'self-declared' end,
    'basis', jsonb_build_object(
      'kind', case when v_catalog then 'catalog' else 'self-declared' end,
      'courseId', case when v_catalog then v_course.id end,
      'publisher', case when v_catalog then (
        select nullif(p.full_name, '') from public.profiles p where p.id = v_course.instructor_id) end),
    'courseTitle', v_certificate.course_title,
    'learnerName', v_certificate.learner_name,
    'holder', case when v_certificate.holder_erased_at is null then 'on record' else 'holder erased at their request' end,
    'completedAt', private.iso(v_certificate.completed_at),
    'revokedAt', private.iso(v_certificate.revoked_at));
end;
$$;
