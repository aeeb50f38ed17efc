-- Seed 003's completion API: mark / unmark with module and overall roll-ups in every answer,
-- summary, module detail, completed lessons, and enrollment. Each write is one call, one
-- transaction, an idempotent upsert on (learner, lesson) that answers with fresh roll-ups.
-- Owns: the public functions of seed 003 and enrollment.
-- Relies on: rules (access, roll-ups, merge, after_progress), idempotency.
-- The caller is the service role; the learner is an argument the service has verified.

/** Section - Mark and unmark */

create or replace function public.mark_lesson_complete(
  p_learner_id uuid, p_learner_kind text, p_lesson_id uuid, p_completed_at timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_lesson public.lesson_catalog;
  v_completed_at timestamptz;
begin
  if p_completed_at > now() + interval '1 minute' then
    perform private.fail(422, 'completed_at_in_future', 'completedAt may not lie in the future.',
      jsonb_build_object('fields', jsonb_build_object('completedAt', jsonb_build_array('Must not be in the future.'))));
  end if;
  v_lesson := private.require_lesson_access(p_learner_id, p_learner_kind, p_lesson_id);
  select lp.completed_at into v_completed_at
  from public.lesson_progress lp
  where lp.learner_id = p_learner_id and lp.lesson_id = p_lesson_id and lp.completed_at is not null;
  if v_completed_at is null then
    perform private.require_unlocked(p_learner_id, p_lesson_id);
    perform private.merge_lesson_progress(jsonb_build_array(private.completion_row(
      p_learner_id, p_lesson_id, true, least(coalesce(p_completed_at, clock_timestamp()), clock_timestamp()))));
    select lp.completed_at into v_completed_at
    from public.lesson_progress lp where lp.learner_id = p_learner_id and lp.lesson_id = p_lesson_id;
    -- Streak, course completion and achievements (platform_api migration), same transaction.
    perform private.after_progress(p_learner_id, v_lesson.course_id);
  end if;
  return jsonb_build_object(
    'lessonId', p_lesson_id,
    'completed', true,
    'completedAt', private.iso(v_completed_at),
    'module', private.module_rollup(p_learner_id, v_lesson.module_id),
    'overall', private.overall_rollup(p_learner_id));
end;
$$;
select private.accepts_idempotency_key('public.mark_lesson_complete(uuid, text, uuid, timestamptz)');

create or replace function public.unmark_lesson_complete(p_learner_id uuid, p_learner_kind text, p_lesson_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_lesson public.lesson_catalog;
begin
  v_lesson := private.require_lesson_access(p_learner_id, p_learner_kind, p_lesson_id, p_enroll => false);
  if exists (select 1 from public.lesson_progress
             where learner_id = p_learner_id and lesson_id = p_lesson_id and completed_at is not null) then
    perform private.merge_lesson_progress(jsonb_build_array(
      private.completion_row(p_learner_id, p_lesson_id, false, clock_timestamp())));
    perform private.after_progress(p_learner_id, v_lesson.course_id);
  end if;
  return jsonb_build_object(
    'lessonId', p_lesson_id,
    'completed', false,
    'completedAt', null,
    'module', private.module_rollup(p_learner_id, v_lesson.module_id),
    'overall', private.overall_rollup(p_learner_id));
end;
$$;
select private.accepts_idempotency_key('public.unmark_lesson_complete(uuid, text, uuid)');

/** Section - Reads */

create or replace function public.progress_summary(p_learner_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select private.overall_rollup(p_learner_id));
end;
$$;

create or replace function public.module_progress(p_learner_id uuid, p_module_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_course_id uuid;
begin
  select m.course_id into v_course_id from public.modules m where m.id = p_module_id and m.published;
  if v_course_id is null or not private.course_accessible(p_learner_id, v_course_id) then
    perform private.fail(404, 'module_not_found', 'Module not found.', jsonb_build_object('moduleId', p_module_id));
  end if;
  return private.module_rollup(p_learner_id, p_module_id) || jsonb_build_object(
    'lessons', coalesce((
      select jsonb_agg(jsonb_build_object(
          'lessonId', lc.lesson_id,
          'title', lc.title,
          'completed', lp.completed_at is not null,
          'completedAt', private.iso(lp.completed_at),
          'locked', lp.completed_at is null
                    and jsonb_array_length(private.missing_prerequisites(p_learner_id, lc.lesson_id)) > 0)
        order by lc.position, lc.lesson_id)
      from public.lesson_catalog lc
      left join public.lesson_progress lp on lp.learner_id = p_learner_id and lp.lesson_id = lc.lesson_id
      where lc.module_id = p_module_id and lc.counts), '[]'));
end;
$$;

create or replace function public.completed_lessons(p_learner_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object('lessons', coalesce(jsonb_agg(
      jsonb_build_object('lessonId', lp.lesson_id, 'completedAt', private.iso(lp.completed_at))
      order by lp.completed_at, lp.lesson_id), '[]'))
  from public.lesson_progress lp
  where lp.learner_id = p_learner_id and lp.completed_at is not null;
$$;

/** Section - Enrollment */

-- Learners enroll themselves in free courses; premium enrollments come from the platform
-- (a purchase), which passes p_by_platform.
create or replace function public.enroll(
  p_learner_id uuid, p_learner_kind text, p_course_id uuid, p_by_platform boolean default false)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_course public.courses;
  v_enrolled_at timestamptz;
  v_created boolean;
begin
  v_course := private.require_course_access(null, p_course_id);
  if v_course.is_premium and not p_by_platform then
    perform private.fail(403, 'premium_requires_purchase',
      'Premium courses are enrolled by the platform after purchase.', jsonb_build_object('courseId', p_course_id));
  end if;
  perform private.ensure_learner(p_learner_id, p_learner_kind);
  insert into public.enrollments (learner_id, course_id, source)
  values (p_learner_id, p_course_id, 'explicit')
  on conflict (learner_id, course_id) do update set source = 'explicit'
  returning enrolled_at, (xmax = 0) into v_enrolled_at, v_created;
  return jsonb_build_object('courseId', p_course_id, 'enrolled', true,
    'enrolledAt', private.iso(v_enrolled_at), 'created', v_created);
end;
$$;
select private.accepts_idempotency_key('public.enroll(uuid, text, uuid, boolean)');

-- Unenrolling keeps every progress row: re-enrolling restores the learner's place.
create or replace function public.unenroll(p_learner_id uuid, p_course_id uuid)
returns jsonb
language sql
security definer
set search_path = ''
as $$
  with gone as (
    delete from public.enrollments where learner_id = p_learner_id and course_id = p_course_id
    returning 1)
  select jsonb_build_object('courseId', p_course_id, 'enrolled', false,
    'removed', exists (select 1 from gone));
$$;
select private.accepts_idempotency_key('public.unenroll(uuid, uuid)');
