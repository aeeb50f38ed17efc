-- The checks every write runs look before they write. A learner who exists and a course already
-- enrolled are the usual case on every mark, chapter and progress report, and each cost more than
-- a lookup: the learner check went through two nested function calls, and the enrollment was an
-- insert that did nothing. Measured in loops of 5 000 calls on dataset L: the learner check 55 ->
-- 26 to 40 µs, an enrollment that exists 23 to 37 -> 11 to 17 µs (BENCHMARKS.md, round 10).
-- Owns: new bodies of private.ensure_learner, private.require_lesson_access and
-- private.require_tutorial_access.
-- Relies on: foundation (ensure_learner, require_active_learner), rules (require_lesson_access,
-- require_course_access), api_tutorials (require_tutorial_access).

/** Section - The learner */

-- As in foundation, with the usual case first: an unclaimed learner of this kind whose account,
-- for an account, still exists. Anything else takes the full check, which says what is wrong.
create or replace function private.ensure_learner(p_learner_id uuid, p_kind text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (select 1 from public.learners l where l.id = p_learner_id and l.kind = p_kind and l.claimed_by is null)
     and (p_kind <> 'account' or exists (select 1 from auth.users where id = p_learner_id)) then
    return;
  end if;
  if (private.require_active_learner(p_learner_id, p_kind)).id is null then
    insert into public.learners (id, kind) values (p_learner_id, p_kind)
    on conflict (id) do nothing;
  end if;
end;
$$;

/** Section - Enrollment on first progress */

-- As in rules, with the enrollment looked up before it is inserted.
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
  if p_enroll then
    perform private.ensure_learner(p_learner_id, p_learner_kind);
  end if;
  if v_lesson.is_premium then
    perform private.require_course_access(p_learner_id, v_lesson.course_id);
  elsif p_enroll and not exists (select 1 from public.enrollments
                                 where learner_id = p_learner_id and course_id = v_lesson.course_id) then
    insert into public.enrollments (learner_id, course_id, source)
    values (p_learner_id, v_lesson.course_id, 'progress')
    on conflict do nothing;
  end if;
  return v_lesson;
end;
$$;

-- As in api_tutorials, with the enrollment looked up before it is inserted.
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
  if p_course.source = 'catalog' and not exists (select 1 from public.enrollments
                                                 where learner_id = p_learner_id and course_id = p_course.id) then
    insert into public.enrollments (learner_id, course_id, source) values (p_learner_id, p_course.id, 'progress')
    on conflict do nothing;
  end if;
end;
$$;
