-- Less work per write where the answer is known from an index probe.
-- Owns: private.has_prerequisites; new bodies of private.course_accessible (plpgsql, so that its
-- plan is kept), private.require_unlocked and private.course_navigation (lessons without
-- prerequisites, the usual case, skip the full check; the next lesson is looked for in
-- incomplete modules only), private.record_device_time (a lesson row written only when its time
-- moved), and the plan cache mode of private.document_version, award_achievements and the
-- device time functions (generic plans: their custom ones were made anew on every call).
-- Relies on: catalog (prerequisites and its indexes), progress (accessible_courses), rules,
-- api_content (course_navigation), incremental_rollups (the counters).

-- Whether the learner may use the course (the one premium rule, private.accessible_courses).
-- A SQL function whose body has a sub-select is not inlined, and then PostgreSQL plans its body
-- again on every call (0.2 ms of every write that checked access); plpgsql keeps the plan.
create or replace function private.course_accessible(p_learner_id uuid, p_course_id uuid)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return exists (select 1 from private.accessible_courses(p_learner_id) a where a = p_course_id);
end;
$$;

-- Whether anything is required of a lesson (by itself or by its module): two index probes. Most
-- lessons require nothing, and then no prerequisite query needs to run for them.
create or replace function private.has_prerequisites(p_lesson_id uuid)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return exists (select 1 from public.prerequisites p where p.lesson_id = p_lesson_id)
      or exists (select 1 from public.prerequisites p
                 where p.module_id = (select l.module_id from public.lessons l where l.id = p_lesson_id));
end;
$$;

-- 409 with exactly which prerequisites are missing, so a front-end can say why it is locked.
create or replace function private.require_unlocked(p_learner_id uuid, p_lesson_id uuid)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_missing jsonb;
begin
  if not private.has_prerequisites(p_lesson_id) then
    return;
  end if;
  v_missing := private.missing_prerequisites(p_learner_id, p_lesson_id);
  if jsonb_array_length(v_missing) > 0 then
    perform private.fail(409, 'prerequisites_missing',
      'Complete the prerequisites of this lesson first.', jsonb_build_object('missing', v_missing));
  end if;
end;
$$;

-- Seed 004's next and resume lessons of a course. The next lesson is looked for only in the
-- modules the learner's counters say are not complete, and lessons that require nothing skip
-- the prerequisite query.
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
          select lc.lesson_id, lc.module_id, lc.title
          from private.module_lesson_totals t
          left join private.learner_module_counts c on c.learner_id = p_learner_id and c.module_id = t.module_id
          join public.lesson_catalog lc on lc.module_id = t.module_id and lc.counts
          left join public.lesson_progress lp on lp.learner_id = p_learner_id and lp.lesson_id = lc.lesson_id
          where t.course_id = p_course_id and coalesce(c.completed, 0) < t.lessons and lp.completed_at is null
          order by lc.module_position, lc.position, lc.lesson_id
          offset 0
        ) open
        where not private.has_prerequisites(open.lesson_id)
           or jsonb_array_length(private.missing_prerequisites(p_learner_id, open.lesson_id)) = 0
        limit 1),
      'resume', (
        select jsonb_build_object('lessonId', lc.lesson_id, 'moduleId', lc.module_id, 'title', lc.title,
                                  'lastAccessedAt', private.iso(lp.last_accessed_at))
        from public.lesson_progress lp
        join public.lesson_catalog lc on lc.lesson_id = lp.lesson_id
        where lp.learner_id = p_learner_id and lc.course_id = p_course_id and lc.counts
          and lp.completed_at is null
        order by lp.last_accessed_at desc
        limit 1)));
end;
$$;

-- Each device's running total per lesson (see rules): the largest counts, and a lesson's time is
-- the sum over its devices. One grouped pass over the named lessons' device rows, and a lesson
-- row is written only when its sum moved (a re-sent counter writes nothing).
create or replace function private.record_device_time(p_learner_id uuid, p_rows jsonb)
returns void
language plpgsql
set search_path = ''
as $$
begin
  insert into public.lesson_device_time as t (learner_id, lesson_id, device_id, seconds)
  select p_learner_id, (r ->> 'lesson_id')::uuid, r ->> 'device_id', trim_scale(round((r ->> 'seconds')::numeric, 3))
  from jsonb_array_elements(p_rows) r
  on conflict (learner_id, lesson_id, device_id) do update
    set seconds = excluded.seconds, updated_at = now()
    where excluded.seconds > t.seconds;

  update public.lesson_progress lp
  set time_spent_seconds = sums.seconds
  from (select t.lesson_id, trim_scale(sum(t.seconds)) as seconds
        from public.lesson_device_time t
        where t.learner_id = p_learner_id
          and t.lesson_id in (select (r ->> 'lesson_id')::uuid from jsonb_array_elements(p_rows) r)
        group by t.lesson_id) sums
  where lp.learner_id = p_learner_id and lp.lesson_id = sums.lesson_id
    and lp.time_spent_seconds is distinct from sums.seconds;
end;
$$;

-- A polling page's version check (GET /api/progress with If-None-Match) ran its one query with a
-- plan made anew on every call: PostgreSQL judged its generic plan dearer than a custom one, and
-- planning cost more than the query (1.4 -> 0.4 ms in SQL on dataset S). The generic plan is
-- the same key lookups whatever the learner and course.
alter function private.document_version(uuid, uuid) set plan_cache_mode = force_generic_plan;

-- The same for the statements every write runs last (which achievements the learner lacks, and
-- their statistics) and for device time: planned anew on every call, for 0.1 to 0.4 ms each.
-- On dataset L, seed 001's lesson progress went from 1.75 to 1.45 ms p50 in SQL.
alter function private.award_achievements(uuid, text[]) set plan_cache_mode = force_generic_plan;
alter function private.bound_device_time(uuid, jsonb) set plan_cache_mode = force_generic_plan;
alter function private.record_device_time(uuid, jsonb) set plan_cache_mode = force_generic_plan;
