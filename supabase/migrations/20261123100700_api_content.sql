-- Seed 004's content API: progress per content item (lesson, exercise, module, course, theme)
-- on the same rows as seed 003. Lessons and exercises store what the learner did; modules,
-- courses and themes are rolled up by the server and can never be declared complete by a client.
-- Owns: the public functions of seed 004, the course summary and next lesson.
-- Relies on: rules, idempotency.

/** Section - Items */

create or replace function private.content_type_of(p_content_id uuid)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select coalesce(
      (select 'lesson' from public.lessons where id = p_content_id),
      (select 'exercise' from public.exercises where id = p_content_id),
      (select 'module' from public.modules where id = p_content_id),
      (select 'course' from public.courses where id = p_content_id),
      (select 'theme' from public.themes where id = p_content_id)));
end;
$$;

create or replace function private.exercise_item(p_learner_id uuid, p_exercise_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select private.item_json(p_exercise_id, 'exercise', ep.status, ep.progress_percentage, ep.score, ep.data,
                             ep.completed_at, ep.last_accessed_at)
    from (select 1) one
    left join public.exercise_progress ep on ep.learner_id = p_learner_id and ep.exercise_id = p_exercise_id);
end;
$$;

create or replace function private.container_item(p_learner_id uuid, p_content_id uuid, p_content_type text)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    with rollup as (
      select case p_content_type
        when 'module' then private.module_rollup(p_learner_id, p_content_id)
        when 'course' then private.course_rollup(p_learner_id, p_content_id)
        else private.theme_rollup(p_learner_id, p_content_id) end as r
    ),
    lessons as (
      select max(lp.completed_at) as last_completed, max(lp.last_accessed_at) as last_accessed
      from public.lesson_catalog lc
      join public.lesson_progress lp on lp.learner_id = p_learner_id and lp.lesson_id = lc.lesson_id
      where lc.counts and p_content_id in (lc.module_id, lc.course_id, lc.theme_id)
    )
    select jsonb_build_object(
      'contentId', p_content_id,
      'contentType', p_content_type,
      'status', r ->> 'status',
      'progressPercentage', (r ->> 'percent')::int,
      'completedCount', (r ->> 'completedCount')::int,
      'totalCount', (r ->> 'totalCount')::int,
      'score', null,
      'data', v.data,
      'completedAt', case when r ->> 'status' = 'completed' then private.iso(l.last_completed) end,
      'lastAccessedAt', private.iso(greatest(v.last_accessed_at, l.last_accessed)))
    from rollup, lessons l
    left join public.content_visits v on v.learner_id = p_learner_id and v.content_id = p_content_id);
end;
$$;

create or replace function private.content_item(p_learner_id uuid, p_content_id uuid, p_content_type text)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select case p_content_type
      when 'lesson' then private.lesson_item(p_learner_id, p_content_id)
      when 'exercise' then private.exercise_item(p_learner_id, p_content_id)
      else private.container_item(p_learner_id, p_content_id, p_content_type) end);
end;
$$;

/** Section - Writes */

-- A lesson's status as seed 004 sends it. `in-progress` never undoes a completion (a revisit
-- is not an unmark); `not-started` does. Returns how many completions it changed (0 or 1).
create or replace function private.update_lesson_progress(
  p_learner_id uuid, p_learner_kind text, p_lesson_id uuid, p_status text,
  p_progress_percentage integer, p_score integer, p_data jsonb)
returns integer
language plpgsql
set search_path = ''
as $$
begin
  perform private.require_lesson_access(p_learner_id, p_learner_kind, p_lesson_id);
  if p_status = 'completed' and not exists (
      select 1 from public.lesson_progress
      where learner_id = p_learner_id and lesson_id = p_lesson_id and completed_at is not null) then
    perform private.require_unlocked(p_learner_id, p_lesson_id);
  end if;
  return private.merge_lesson_progress(jsonb_build_array(
    jsonb_build_object('learner_id', p_learner_id, 'lesson_id', p_lesson_id, 'status', p_status,
      'progress_percentage', p_progress_percentage, 'score', p_score, 'data', p_data)
    -- completed is a completion event, not-started an unmark (a reset), in-progress neither
    || case p_status
         when 'completed' then private.completion_row(p_learner_id, p_lesson_id, true, clock_timestamp())
         when 'not-started' then private.completion_row(p_learner_id, p_lesson_id, false, clock_timestamp())
         else '{}' end));
end;
$$;

create or replace function private.update_exercise_progress(
  p_learner_id uuid, p_learner_kind text, p_exercise_id uuid, p_status text,
  p_progress_percentage integer, p_score integer, p_data jsonb)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_exercise public.exercises;
begin
  select * into v_exercise from public.exercises where id = p_exercise_id;
  perform private.require_lesson_access(p_learner_id, p_learner_kind, v_exercise.lesson_id);
  if not v_exercise.published then
    perform private.fail(400, 'content_unpublished', 'This exercise is not published.', jsonb_build_object('contentId', p_exercise_id));
  end if;
  insert into public.exercise_progress as ep
    (learner_id, exercise_id, status, completed_at, progress_percentage, score, data, last_accessed_at)
  values (
    p_learner_id, p_exercise_id, p_status,
    case when p_status = 'completed' then date_trunc('milliseconds', now()) end,
    case when p_status = 'completed' then 100 else coalesce(p_progress_percentage, 0) end,
    p_score, p_data, now())
  on conflict (learner_id, exercise_id) do update set
    status = excluded.status,
    completed_at = case when excluded.status = 'completed' then coalesce(ep.completed_at, excluded.completed_at) end,
    progress_percentage = case when excluded.status = 'completed' then 100
      else coalesce(p_progress_percentage, ep.progress_percentage) end,
    score = coalesce(excluded.score, ep.score),
    data = coalesce(excluded.data, ep.data),
    last_accessed_at = now();
end;
$$;

-- A visit to a module, course or theme. Declaring one `completed` is refused (409) unless its
-- lessons already make it so.
create or replace function private.visit_container(
  p_learner_id uuid, p_learner_kind text, p_content_id uuid, p_content_type text, p_status text, p_data jsonb)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_published boolean;
  v_course_id uuid;
  v_rollup jsonb;
begin
  select published, course_id into v_published, v_course_id from (
    select m.published and c.published as published, c.id as course_id
      from public.modules m join public.courses c on c.id = m.course_id where m.id = p_content_id
    union all
    select published, id from public.courses where id = p_content_id
    union all
    select published, null from public.themes where id = p_content_id) found;
  if not v_published then
    perform private.fail(400, 'content_unpublished', 'This content is not published.', jsonb_build_object('contentId', p_content_id));
  end if;
  if v_course_id is not null then
    perform private.require_course_access(p_learner_id, v_course_id);
  end if;
  if p_status = 'completed' then
    v_rollup := private.content_item(p_learner_id, p_content_id, p_content_type);
    if v_rollup ->> 'status' <> 'completed' then
      perform private.fail(409, 'rollup_incomplete',
        format('A %s is completed by its lessons: %s of %s are.', p_content_type,
               v_rollup ->> 'completedCount', v_rollup ->> 'totalCount'),
        jsonb_build_object('completedCount', v_rollup -> 'completedCount', 'totalCount', v_rollup -> 'totalCount'));
    end if;
  end if;
  perform private.ensure_learner(p_learner_id, p_learner_kind);
  insert into public.content_visits as v (learner_id, content_id, content_type, data, last_accessed_at)
  values (p_learner_id, p_content_id, p_content_type, p_data, now())
  on conflict (learner_id, content_id) do update set
    data = coalesce(excluded.data, v.data),
    last_accessed_at = now();
end;
$$;

create or replace function public.update_content_progress(
  p_learner_id uuid, p_learner_kind text, p_content_id uuid, p_content_type text, p_status text,
  p_progress_percentage integer default null, p_score integer default null, p_data jsonb default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_type text := private.content_type_of(p_content_id);
  v_flips integer := 0;  -- lesson completions this write changed (exercises complete no lesson)
begin
  if v_type is null then
    perform private.fail(404, 'content_not_found', 'Content not found.', jsonb_build_object('contentId', p_content_id));
  end if;
  if v_type <> p_content_type then
    perform private.fail(400, 'content_type_mismatch', format('This content is a %s, not a %s.', v_type, p_content_type),
      jsonb_build_object('fields', jsonb_build_object('contentType', jsonb_build_array(format('Must be %s.', v_type)))));
  end if;
  case v_type
    when 'lesson' then v_flips := private.update_lesson_progress(
      p_learner_id, p_learner_kind, p_content_id, p_status, p_progress_percentage, p_score, p_data);
    when 'exercise' then perform private.update_exercise_progress(
      p_learner_id, p_learner_kind, p_content_id, p_status, p_progress_percentage, p_score, p_data);
    else perform private.visit_container(p_learner_id, p_learner_kind, p_content_id, v_type, p_status, p_data);
  end case;
  if v_type in ('lesson', 'exercise') then
    perform private.after_progress(p_learner_id, (
      select lc.course_id from public.lesson_catalog lc
      where lc.lesson_id = coalesce((select lesson_id from public.exercises where id = p_content_id), p_content_id)),
      v_flips > 0);
  end if;
  return private.content_item(p_learner_id, p_content_id, v_type);
end;
$$;
select private.accepts_idempotency_key('public.update_content_progress(uuid, text, uuid, text, text, integer, integer, jsonb)');

/** Section - Reads */

create or replace function public.content_progress(p_learner_id uuid, p_content_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_type text := private.content_type_of(p_content_id);
begin
  if v_type is null then
    perform private.fail(404, 'content_not_found', 'Content not found.', jsonb_build_object('contentId', p_content_id));
  end if;
  return private.content_item(p_learner_id, p_content_id, v_type);
end;
$$;

-- Everything the learner has touched: lessons and exercises as stored, and every module,
-- course and theme they have progress in, rolled up.
create or replace function public.learner_progress(p_learner_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    with lessons as (
      select lp.lesson_id, lc.module_id, lc.course_id, lc.theme_id
      from public.lesson_progress lp join public.lesson_catalog lc on lc.lesson_id = lp.lesson_id
      where lp.learner_id = p_learner_id
    ),
    items as (
      select 1 as rank, private.lesson_item(p_learner_id, lesson_id) as item from lessons
      union all
      select 2, private.exercise_item(p_learner_id, exercise_id)
        from public.exercise_progress where learner_id = p_learner_id
      union all
      select 3, private.container_item(p_learner_id, id, type) from (
        select module_id as id, 'module' as type from lessons
        union select course_id, 'course' from lessons
        union select theme_id, 'theme' from lessons where theme_id is not null
        union select content_id, content_type from public.content_visits where learner_id = p_learner_id
      ) containers
    )
    select jsonb_build_object('items', coalesce(jsonb_agg(item order by rank, item ->> 'lastAccessedAt' desc nulls last), '[]'))
    from items);
end;
$$;

/** Section - Course summary and navigation */

-- The next lesson to take (first counting, unlocked, not completed, in catalog order) and the
-- lesson to resume (the most recently opened one not yet completed).
create or replace function private.course_navigation(p_learner_id uuid, p_course_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select jsonb_build_object(
      -- The prerequisite check runs over the open lessons already in catalog order and stops at
      -- the first unlocked one (in the outer query, after the sort), not over every lesson.
      'next', (
        select jsonb_build_object('lessonId', open.lesson_id, 'moduleId', open.module_id, 'title', open.title)
        from (
          select lc.lesson_id, lc.module_id, lc.title
          from public.lesson_catalog lc
          left join public.lesson_progress lp on lp.learner_id = p_learner_id and lp.lesson_id = lc.lesson_id
          where lc.course_id = p_course_id and lc.counts and lp.completed_at is null
          order by lc.module_position, lc.position, lc.lesson_id
          offset 0
        ) open
        where jsonb_array_length(private.missing_prerequisites(p_learner_id, open.lesson_id)) = 0
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

create or replace function public.course_summary(p_learner_id uuid, p_course_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_course_access(null, p_course_id);
  return private.course_rollup(p_learner_id, p_course_id)
    || jsonb_build_object('enrolled', exists (select 1 from public.enrollments
                                              where learner_id = p_learner_id and course_id = p_course_id))
    || private.course_navigation(p_learner_id, p_course_id);
end;
$$;

create or replace function public.next_lesson(p_learner_id uuid, p_course_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_course_access(null, p_course_id);
  return jsonb_build_object('courseId', p_course_id) || private.course_navigation(p_learner_id, p_course_id);
end;
$$;
