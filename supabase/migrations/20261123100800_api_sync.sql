-- Seed 000's offline sync: one progress document per learner and course, saved from any device,
-- merged in the database. The document is a view of the lesson rows every contract shares, plus
-- the last lesson opened; a save is one call, one transaction, row-level atomic merges (no
-- read-modify-write anywhere), recorded in a history that the learner can read.
-- Owns: the document, its merge, save / get / list / delete / history, and claiming a browser
-- learner into an account.
-- Relies on: rules (merge, device time, access, after_progress), idempotency.

/** Section - The document */

-- The document of seed 000, version 2 (a superset of version 1), built from the shared rows.
create or replace function private.progress_document(p_learner_id uuid, p_course_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    with lessons as (
      select lp.lesson_id, lp.completed_at, lp.time_spent_seconds, lp.updated_at,
             lc.module_position, lc.position
      from public.lesson_progress lp
      join public.lesson_catalog lc on lc.lesson_id = lp.lesson_id
      where lp.learner_id = p_learner_id and lc.course_id = p_course_id
    ),
    doc as (
      select last_lesson_id, updated_at from public.course_documents
      where learner_id = p_learner_id and course_id = p_course_id
    )
    select case when exists (select 1 from lessons) or exists (select 1 from doc where last_lesson_id is not null)
    then jsonb_build_object(
      'version', 2,
      'completedLessonIds', coalesce((select jsonb_agg(lesson_id order by module_position, position, lesson_id)
                                      from lessons where completed_at is not null), '[]'),
      'lastLessonId', (select last_lesson_id from doc),
      'lessonTimes', coalesce((select jsonb_object_agg(lesson_id, time_spent_seconds)
                               from lessons where time_spent_seconds > 0), '{}'),
      'timeSpentSeconds', trim_scale(coalesce((select sum(time_spent_seconds) from lessons), 0)),
      'completedAt', coalesce((select jsonb_object_agg(lesson_id, private.iso(completed_at))
                               from lessons where completed_at is not null), '{}'),
      'updatedAt', private.iso(greatest((select updated_at from doc), (select max(updated_at) from lessons))))
    end);
end;
$$;

-- Each lesson a saved document names, sorted: a lesson of this course that counts is kept; any
-- other is rejected with its reason (unknown_lesson: not a lesson of this course; unpublished:
-- not published now; over_limit: more seconds than p_max_seconds). Returns the document with
-- what is kept, and the rejections, so that a save applies every part it can and names the rest.
create or replace function private.sort_named_lessons(p_course_id uuid, p_progress jsonb, p_max_seconds integer)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    with named as (
      select field, id, value,
             case when id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then id::uuid end as lesson_id
      from (
        select 'completedLessonIds' as field, value #>> '{}' as id, value
          from jsonb_array_elements(coalesce(p_progress -> 'completedLessonIds', '[]'))
        union all select 'lessonTimes', key, value from jsonb_each(coalesce(p_progress -> 'lessonTimes', '{}'))
        union all select 'completedAt', key, value from jsonb_each(coalesce(p_progress -> 'completedAt', '{}'))
        union all select 'unmarkedAt', key, value from jsonb_each(coalesce(p_progress -> 'unmarkedAt', '{}'))
        union all select 'lastLessonId', p_progress ->> 'lastLessonId', p_progress -> 'lastLessonId'
          where p_progress ->> 'lastLessonId' is not null
      ) fields
    ),
    sorted as (
      select n.field, n.id, n.value,
             case when lc.lesson_id is null then 'unknown_lesson'
                  when not lc.counts then 'unpublished'
                  when n.field = 'lessonTimes' and (n.value #>> '{}')::numeric > p_max_seconds then 'over_limit' end as reason
      from named n
      left join public.lesson_catalog lc on lc.lesson_id = n.lesson_id and lc.course_id = p_course_id
    )
    select jsonb_build_object(
      'accepted', p_progress || jsonb_build_object(
        'completedLessonIds', coalesce((select jsonb_agg(value) from sorted
                                        where field = 'completedLessonIds' and reason is null), '[]'),
        'lessonTimes', coalesce((select jsonb_object_agg(id, value) from sorted
                                 where field = 'lessonTimes' and reason is null), '{}'),
        'completedAt', coalesce((select jsonb_object_agg(id, value) from sorted
                                 where field = 'completedAt' and reason is null), '{}'),
        'unmarkedAt', coalesce((select jsonb_object_agg(id, value) from sorted
                                where field = 'unmarkedAt' and reason is null), '{}'),
        'lastLessonId', coalesce((select value from sorted where field = 'lastLessonId' and reason is null), 'null')),
      'rejected', coalesce((select jsonb_agg(jsonb_build_object('lessonId', id, 'field', field, 'reason', reason)
                                             order by field, id)
                            from sorted where reason is not null), '[]')));
end;
$$;

/** Section - The merge */

-- A client clock: never trusted beyond the server's own, absent means now.
create or replace function private.client_clock(p_value text)
returns timestamptz
language sql
stable
begin atomic
  select least(coalesce(p_value::timestamptz, now()), now());
end;

-- lastLessonId: the newest client time wins; equal times are settled by the larger id, so that
-- the order saves (or a claim) arrive in never matters.
create or replace function private.merge_last_lesson(
  p_learner_id uuid, p_course_id uuid, p_lesson_id uuid, p_clock timestamptz)
returns void
language plpgsql
set search_path = ''
as $$
begin
  insert into public.course_documents as d (learner_id, course_id, last_lesson_id, last_lesson_clock)
  values (p_learner_id, p_course_id, p_lesson_id, p_clock)
  on conflict (learner_id, course_id) do update set
    last_lesson_id = excluded.last_lesson_id, last_lesson_clock = excluded.last_lesson_clock, updated_at = now()
  where excluded.last_lesson_id is not null
    and (d.last_lesson_clock is null
         or (excluded.last_lesson_clock, excluded.last_lesson_id::text) > (d.last_lesson_clock, d.last_lesson_id::text));
end;
$$;

-- The rows merge_document builds from a saved document, one per lesson it names.
create or replace function private.incoming_lessons(p_rows jsonb)
returns table (lesson_id uuid, completed_at timestamptz, unmarked_at timestamptz, seconds numeric)
language sql
stable
begin atomic
  select * from jsonb_to_recordset(p_rows) as r(lesson_id uuid, completed_at timestamptz, unmarked_at timestamptz, seconds numeric);
end;

-- Merge one saved document (its lessons already sorted: all of this course, all counting) into the
-- learner's rows. Returns how many lesson completions it changed.
create or replace function private.merge_document(
  p_learner_id uuid, p_course_id uuid, p_progress jsonb, p_clock timestamptz, p_device_id text)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_flips integer;
  v_incoming jsonb;  -- each lesson the document names, once: rows for private.incoming_lessons
begin
  -- (A jsonb value, not a temporary table: creating one per save rewrote the system catalogs
  -- and threw away every cached plan that used it.)
  select coalesce(jsonb_agg(jsonb_build_object('lesson_id', id, 'completed_at', completed_at,
                                               'unmarked_at', unmarked_at, 'seconds', seconds)), '[]')
  into v_incoming
  from (
    select id::uuid as id, max(completed_at) as completed_at, max(unmarked_at) as unmarked_at, max(seconds) as seconds
    from (
      select value #>> '{}' as id,
             private.client_clock(coalesce(p_progress -> 'completedAt' ->> (value #>> '{}'), p_clock::text)) as completed_at,
             null::timestamptz as unmarked_at, null::numeric as seconds
        from jsonb_array_elements(coalesce(p_progress -> 'completedLessonIds', '[]'))
      union all
      select key, null, private.client_clock(value #>> '{}'), null
        from jsonb_each(coalesce(p_progress -> 'unmarkedAt', '{}'))
      union all
      select key, null, null, trim_scale(round((value #>> '{}')::numeric, 3))
        from jsonb_each(coalesce(p_progress -> 'lessonTimes', '{}'))
    ) named
    group by id::uuid
  ) grouped;

  select private.merge_lesson_progress(coalesce(jsonb_agg(
    jsonb_strip_nulls(jsonb_build_object(
      'learner_id', p_learner_id, 'lesson_id', i.lesson_id,
      'completion_clock', i.completed_at, 'first_completed_at', i.completed_at,
      'unmark_clock', i.unmarked_at, 'last_accessed_at', p_clock))), '[]'))
  into v_flips
  from private.incoming_lessons(v_incoming) i;

  perform private.record_device_time(p_learner_id, private.bound_device_time(p_learner_id,
    coalesce(jsonb_agg(jsonb_build_object('lesson_id', i.lesson_id, 'device_id', p_device_id, 'seconds', i.seconds)), '[]')))
  from private.incoming_lessons(v_incoming) i
  where i.seconds is not null;

  perform private.merge_last_lesson(p_learner_id, p_course_id, (p_progress ->> 'lastLessonId')::uuid, p_clock);
  update public.course_documents set updated_at = now()
  where learner_id = p_learner_id and course_id = p_course_id;
  return v_flips;
end;
$$;

/** Section - Public functions */

-- POST /api/progress/save: merge every part it can, record in the history, answer with the merged
-- document and each part it did not apply, with the reason. Only a malformed document (the
-- service's 400) is refused whole.
create or replace function public.save_progress_document(
  p_learner_id uuid, p_learner_kind text, p_course_id uuid, p_progress jsonb,
  p_client_updated_at timestamptz default null, p_device_id text default null,
  p_max_seconds integer default 86400)
returns jsonb
language plpgsql
security definer
set search_path = ''
set client_min_messages = warning
as $$
declare
  v_sorted jsonb;
  v_flips integer;
  v_before jsonb;
  v_after jsonb;
  v_clock timestamptz := private.client_clock(p_client_updated_at::text);
  v_device text := coalesce(p_device_id, 'default');
begin
  perform private.require_course_access(p_learner_id, p_course_id);
  perform private.ensure_learner(p_learner_id, p_learner_kind);
  insert into public.enrollments (learner_id, course_id, source) values (p_learner_id, p_course_id, 'progress')
  on conflict do nothing;

  -- Saves of one learner and course queue here, so that each history entry's before and after
  -- are exact. Saves of different courses or learners do not wait for each other.
  insert into public.course_documents (learner_id, course_id) values (p_learner_id, p_course_id)
  on conflict do nothing;
  perform 1 from public.course_documents
  where learner_id = p_learner_id and course_id = p_course_id for update;

  v_sorted := private.sort_named_lessons(p_course_id, p_progress, p_max_seconds);
  v_before := private.progress_document(p_learner_id, p_course_id);
  v_flips := private.merge_document(p_learner_id, p_course_id, v_sorted -> 'accepted', v_clock, v_device);
  v_after := private.progress_document(p_learner_id, p_course_id);
  perform private.after_progress(p_learner_id, p_course_id, v_flips > 0, array['time_spent']);

  insert into public.progress_history (learner_id, course_id, device_id, before, incoming, after)
  values (p_learner_id, p_course_id, p_device_id, v_before,
          jsonb_build_object('progress', p_progress, 'clientUpdatedAt', p_client_updated_at),
          coalesce(v_after, 'null'));

  return jsonb_build_object(
    'progress', v_after,
    'rejected', v_sorted -> 'rejected',
    'ignoredLessonIds', (select coalesce(jsonb_agg(distinct r ->> 'lessonId'), '[]')
                         from jsonb_array_elements(v_sorted -> 'rejected') r));
end;
$$;
select private.accepts_idempotency_key('public.save_progress_document(uuid, text, uuid, jsonb, timestamptz, text, integer)');

-- The document's version: it changes with every change of the learner's rows of the course (any
-- contract's) and of its last lesson, and costs a few key lookups, not a document.
create or replace function private.document_version(p_learner_id uuid, p_course_id uuid)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select md5(concat_ws('/', count(*), max(lp.updated_at),
      (select d.updated_at from public.course_documents d where d.learner_id = p_learner_id and d.course_id = p_course_id)))
    from public.lesson_progress lp
    join public.lessons l on l.id = lp.lesson_id
    join public.modules m on m.id = l.module_id
    where lp.learner_id = p_learner_id and m.course_id = p_course_id);
end;
$$;

-- GET /api/progress?courseId=: the document and its version; a caller that already has this
-- version (If-None-Match) gets `notModified` instead, so that a polling page costs little.
create or replace function public.get_progress_document(p_learner_id uuid, p_course_id uuid, p_known_version text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_version text := private.document_version(p_learner_id, p_course_id);
begin
  if v_version = p_known_version then
    return jsonb_build_object('version', v_version, 'notModified', true);
  end if;
  return jsonb_build_object('version', v_version, 'progress', private.progress_document(p_learner_id, p_course_id));
end;
$$;

-- Every course the learner has progress in, as seed 000 lists them.
create or replace function public.list_progress_documents(p_learner_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    with courses as (
      select lc.course_id from public.lesson_progress lp
      join public.lesson_catalog lc on lc.lesson_id = lp.lesson_id
      where lp.learner_id = p_learner_id
      union
      select course_id from public.course_documents where learner_id = p_learner_id
    ),
    docs as (
      select course_id, private.progress_document(p_learner_id, course_id) as progress from courses
    )
    select jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object(
        'course_id', course_id, 'progress', progress, 'updated_at', progress -> 'updatedAt')
      order by progress ->> 'updatedAt' desc), '[]'))
    from docs where progress is not null);
end;
$$;

-- Reset a course for the learner: its lesson rows (every contract's), times and document go;
-- the history keeps a record of the reset.
create or replace function public.delete_progress_document(p_learner_id uuid, p_course_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_before jsonb := private.progress_document(p_learner_id, p_course_id);
begin
  if v_before is null then
    return jsonb_build_object('courseId', p_course_id, 'deleted', false);
  end if;
  delete from public.lesson_progress lp
  using public.lesson_catalog lc
  where lc.lesson_id = lp.lesson_id and lp.learner_id = p_learner_id and lc.course_id = p_course_id;
  delete from public.course_documents where learner_id = p_learner_id and course_id = p_course_id;
  insert into public.progress_history (learner_id, course_id, before, incoming, after)
  values (p_learner_id, p_course_id, v_before, '{"reset": true}', '{}');
  return jsonb_build_object('courseId', p_course_id, 'deleted', true);
end;
$$;
select private.accepts_idempotency_key('public.delete_progress_document(uuid, uuid)');

create or replace function public.progress_history(p_learner_id uuid, p_course_id uuid, p_limit integer default 100)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object(
        'deviceId', device_id, 'before', before, 'incoming', incoming, 'after', after,
        'createdAt', private.iso(created_at)) order by created_at desc, id desc), '[]'))
    from (select * from public.progress_history
          where learner_id = p_learner_id and course_id = p_course_id
          order by created_at desc, id desc limit p_limit) h);
end;
$$;

-- A learner who signs in keeps what they did anonymously: every course document of the browser
-- learner is merged into the account with the same merge as a save, once.
create or replace function public.claim_browser_learner(p_learner_id uuid, p_browser_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
set client_min_messages = warning
as $$
declare
  v_learner public.learners;
begin
  select * into v_learner from public.learners where id = p_browser_id for update;
  if not found or v_learner.kind <> 'browser' then
    perform private.fail(404, 'learner_not_found', 'No anonymous learner with this id.', '{}');
  end if;
  if v_learner.claimed_by is not null then
    perform private.fail(409, 'already_claimed', 'This anonymous progress has already been claimed.',
      jsonb_build_object('claimedAt', private.iso(v_learner.claimed_at)));
  end if;
  perform private.ensure_learner(p_learner_id, 'account');

  insert into public.enrollments (learner_id, course_id, source, enrolled_at)
  select p_learner_id, course_id, source, enrolled_at from public.enrollments where learner_id = p_browser_id
  on conflict do nothing;

  -- Completions (with their clocks), device times and last lessons, merged like saves.
  perform private.merge_lesson_progress(coalesce(jsonb_agg(
    (to_jsonb(lp) - 'status' - 'progress_percentage' - 'time_spent_seconds')
    || jsonb_build_object('learner_id', p_learner_id)), '[]'))
  from public.lesson_progress lp where lp.learner_id = p_browser_id;

  perform private.record_device_time(p_learner_id, coalesce(jsonb_agg(jsonb_build_object(
    'lesson_id', lesson_id, 'device_id', device_id, 'seconds', seconds)), '[]'))
  from public.lesson_device_time where learner_id = p_browser_id;

  perform private.merge_last_lesson(p_learner_id, course_id, last_lesson_id, last_lesson_clock)
  from public.course_documents where learner_id = p_browser_id;

  insert into public.exercise_progress (learner_id, exercise_id, status, completed_at, progress_percentage, score, data, last_accessed_at)
  select p_learner_id, exercise_id, status, completed_at, progress_percentage, score, data, last_accessed_at
  from public.exercise_progress where learner_id = p_browser_id
  on conflict do nothing;

  -- The anonymous learner's rows now live in the account; the browser learner is retired.
  delete from public.lesson_progress where learner_id = p_browser_id;
  delete from public.exercise_progress where learner_id = p_browser_id;
  delete from public.course_documents where learner_id = p_browser_id;
  delete from public.enrollments where learner_id = p_browser_id;
  update public.learners set claimed_by = p_learner_id, claimed_at = now() where id = p_browser_id;

  return jsonb_build_object('claimed', true, 'learnerId', p_learner_id, 'anonymousUserId', p_browser_id,
    'courses', (select count(*) from (
      select distinct lc.course_id from public.lesson_progress lp
      join public.lesson_catalog lc on lc.lesson_id = lp.lesson_id where lp.learner_id = p_learner_id) c));
end;
$$;
select private.accepts_idempotency_key('public.claim_browser_learner(uuid, uuid)');
