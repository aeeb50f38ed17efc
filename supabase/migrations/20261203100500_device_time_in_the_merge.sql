-- Device time written with the rest of a lesson row: a lesson's new time is known before the
-- merge, so the merge writes each row once (device time used to write every row it touched a
-- second time, after the merge).
-- Owns: the deferred foreign key from lesson_device_time to lesson_progress (a lesson's device
-- rows may now be written before its first progress row, in the same transaction); the index
-- lesson_device_time_last_report; new bodies of private.merged_progress (the time a write
-- brings, never less than the row's), private.merge_lesson_progress (writes the time),
-- private.bound_device_time (each lesson's counter read by key), private.record_device_time
-- (records the counters and returns each lesson's new time; it no longer writes lesson rows),
-- and of their callers private.merge_document, public.record_lesson_progress and
-- public.claim_browser_learner.
-- Relies on: progress, rules, api_sync, api_platform, lean_writes (merged_progress,
-- merge_lesson_progress), write_fast_paths (record_device_time's plan).

/** Section - The rows */

-- Checked at commit: the writers below record a lesson's device counters, then merge its row.
alter table public.lesson_device_time
  alter constraint lesson_device_time_learner_id_lesson_id_fkey deferrable initially deferred;

-- A device's last report, on any lesson: what bounds a device's first report of a lesson
-- (private.bound_device_time). Without it that read every counter the learner has of the device.
create index lesson_device_time_last_report on public.lesson_device_time (learner_id, device_id, updated_at);

/** Section - The merge */

-- As in lean_writes, with the lesson's time from the write (the sum of its device counters, which
-- only grow): the larger of the row's and the write's, so that a write that read the counters
-- before a concurrent one never takes time away.
create or replace function private.merged_progress(lp public.lesson_progress, r public.lesson_progress)
returns setof public.lesson_progress
language sql
stable
begin atomic
  select
    r.learner_id,
    r.lesson_id,
    case
      when private.is_completed(greatest(lp.completion_clock, r.completion_clock), greatest(lp.unmark_clock, r.unmark_clock)) then 'completed'
      when r.status = 'not-started' then 'not-started'
      else 'in-progress' end,
    case when private.is_completed(greatest(lp.completion_clock, r.completion_clock), greatest(lp.unmark_clock, r.unmark_clock))
      then least(lp.first_completed_at, date_trunc('milliseconds', r.first_completed_at)) end,
    least(lp.first_completed_at, date_trunc('milliseconds', r.first_completed_at)),
    greatest(lp.completion_clock, r.completion_clock),
    greatest(lp.unmark_clock, r.unmark_clock),
    case
      when private.is_completed(greatest(lp.completion_clock, r.completion_clock), greatest(lp.unmark_clock, r.unmark_clock)) then 100
      when r.status = 'not-started' or lp.status = 'completed' then coalesce(r.progress_percentage, 0)
      else coalesce(r.progress_percentage, lp.progress_percentage, 0) end,
    coalesce(greatest(lp.time_spent_seconds, r.time_spent_seconds), 0),
    coalesce(greatest(lp.watch_seconds, r.watch_seconds), 0),
    coalesce(r.last_position_seconds, lp.last_position_seconds),
    coalesce(r.score, lp.score),
    coalesce(r.data, lp.data),
    greatest(coalesce(lp.last_accessed_at, now()), coalesce(r.last_accessed_at, now())),
    coalesce(lp.created_at, now()),
    now();
end;

-- As in lean_writes, with the time in the columns it writes.
create or replace function private.merge_lesson_progress(p_rows jsonb)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_inserted text[];
  v_flips integer;
  v_completed_before jsonb;
begin
  with inserted as (
    insert into public.lesson_progress
    select m.* from jsonb_populate_recordset(null::public.lesson_progress, p_rows) r
    cross join lateral private.merged_progress(null::public.lesson_progress, r) m
    on conflict do nothing
    returning learner_id || '/' || lesson_id as key, completed_at is not null as completed)
  select coalesce(array_agg(key), '{}'), count(*) filter (where completed)
  into v_inserted, v_flips
  from inserted;
  if cardinality(v_inserted) = jsonb_array_length(p_rows) then
    return v_flips;
  end if;

  -- The rows, locked, as they are now (not as this statement's snapshot saw them): a concurrent
  -- writer's completion counts as "before".
  select coalesce(jsonb_object_agg(locked.key, locked.completed), '{}')
  into v_completed_before
  from (select lp.learner_id || '/' || lp.lesson_id as key, lp.completed_at is not null as completed
        from public.lesson_progress lp
        where (lp.learner_id, lp.lesson_id) in (
          select r.learner_id, r.lesson_id from jsonb_populate_recordset(null::public.lesson_progress, p_rows) r)
          and not (lp.learner_id || '/' || lp.lesson_id) = any (v_inserted)
        for update of lp) locked;

  with merged as (
    update public.lesson_progress lp set
      (status, completed_at, first_completed_at, completion_clock, unmark_clock, progress_percentage,
       time_spent_seconds, watch_seconds, last_position_seconds, score, data, last_accessed_at) =
      (select m.status, m.completed_at, m.first_completed_at, m.completion_clock, m.unmark_clock, m.progress_percentage,
              m.time_spent_seconds, m.watch_seconds, m.last_position_seconds, m.score, m.data, m.last_accessed_at
       from private.merged_progress(lp, r) m)
    from jsonb_populate_recordset(null::public.lesson_progress, p_rows) r
    where lp.learner_id = r.learner_id and lp.lesson_id = r.lesson_id
      and v_completed_before ? (lp.learner_id || '/' || lp.lesson_id)
    returning lp.learner_id, lp.lesson_id, lp.completed_at is not null as completed)
  select v_flips + count(*) into v_flips from merged m
  where m.completed is distinct from (v_completed_before ->> (m.learner_id || '/' || m.lesson_id))::boolean;
  return v_flips;
end;
$$;

/** Section - Device time */

-- Each device's running total per lesson, as in rules: the largest counts (a re-sent counter
-- never adds), and a lesson's time is the sum over its devices. Rows: [{lesson_id, device_id,
-- seconds}]. Returns each named lesson's time ({lesson_id: seconds}) for the caller's merge to
-- write with the rest of the row; each lesson's counters are read by key, not every counter of
-- the learner.
drop function private.record_device_time(uuid, jsonb);
create function private.record_device_time(p_learner_id uuid, p_rows jsonb)
returns jsonb
language plpgsql
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
declare
  v_times jsonb;
begin
  insert into public.lesson_device_time as t (learner_id, lesson_id, device_id, seconds)
  select p_learner_id, (r ->> 'lesson_id')::uuid, r ->> 'device_id', trim_scale(round((r ->> 'seconds')::numeric, 3))
  from jsonb_array_elements(p_rows) r
  on conflict (learner_id, lesson_id, device_id) do update
    set seconds = excluded.seconds, updated_at = now()
    where excluded.seconds > t.seconds;

  select coalesce(jsonb_object_agg(named.lesson_id, sums.seconds), '{}')
  into v_times
  from (select distinct (r ->> 'lesson_id')::uuid as lesson_id from jsonb_array_elements(p_rows) r) named
  cross join lateral (select trim_scale(sum(t.seconds)) as seconds from public.lesson_device_time t
                      where t.learner_id = p_learner_id and t.lesson_id = named.lesson_id) sums;
  return v_times;
end;
$$;

-- As in rules, with each named lesson's counter looked up by its key: the generic plan read
-- every device counter the learner has (it guessed a hundred named rows) and joined them.
create or replace function private.bound_device_time(p_learner_id uuid, p_rows jsonb)
returns jsonb
language plpgsql
stable
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
begin
  return (
    select coalesce(jsonb_agg(jsonb_build_object(
      'lesson_id', i.lesson_id, 'device_id', i.device_id,
      'seconds', least(i.seconds, coalesce(t.seconds, 0) + private.seconds_allowed_since(coalesce(
        t.updated_at,
        (select max(x.updated_at) from public.lesson_device_time x
         where x.learner_id = p_learner_id and x.device_id = i.device_id),
        l.created_at))))), '[]')
    from jsonb_to_recordset(p_rows) as i(lesson_id uuid, device_id text, seconds numeric)
    join public.learners l on l.id = p_learner_id
    left join lateral (
      select t.seconds, t.updated_at from public.lesson_device_time t
      where t.learner_id = p_learner_id and t.lesson_id = i.lesson_id and t.device_id = i.device_id
      offset 0) t on true);
end;
$$;

/** Section - The writers that record device time */

-- As in api_sync: device time first, then one merge of every named lesson.
create or replace function private.merge_document(
  p_learner_id uuid, p_course_id uuid, p_progress jsonb, p_clock timestamptz, p_device_id text)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_flips integer;
  v_incoming jsonb;  -- each lesson the document names, once: rows for private.incoming_lessons
  v_times jsonb;     -- each lesson's time, device time recorded
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

  select private.record_device_time(p_learner_id, private.bound_device_time(p_learner_id,
    coalesce(jsonb_agg(jsonb_build_object('lesson_id', i.lesson_id, 'device_id', p_device_id, 'seconds', i.seconds)), '[]')))
  into v_times
  from private.incoming_lessons(v_incoming) i
  where i.seconds is not null;

  select private.merge_lesson_progress(coalesce(jsonb_agg(
    jsonb_strip_nulls(jsonb_build_object(
      'learner_id', p_learner_id, 'lesson_id', i.lesson_id,
      'completion_clock', i.completed_at, 'first_completed_at', i.completed_at,
      'unmark_clock', i.unmarked_at, 'time_spent_seconds', v_times -> i.lesson_id::text,
      'last_accessed_at', p_clock))), '[]'))
  into v_flips
  from private.incoming_lessons(v_incoming) i;

  perform private.merge_last_lesson(p_learner_id, p_course_id, (p_progress ->> 'lastLessonId')::uuid, p_clock);
  update public.course_documents set updated_at = now()
  where learner_id = p_learner_id and course_id = p_course_id;
  return v_flips;
end;
$$;

-- As in api_platform: device time first, then the merge.
create or replace function public.record_lesson_progress(
  p_learner_id uuid, p_learner_kind text, p_lesson_id uuid, p_course_id uuid default null,
  p_completion_percentage integer default null, p_time_spent numeric default null, p_section_progress jsonb default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_lesson public.lesson_catalog := private.require_lesson_access(p_learner_id, p_learner_kind, p_lesson_id);
  v_completing boolean := p_completion_percentage = 100;
  v_achievements jsonb;
  v_flips integer;
  v_times jsonb;
begin
  if p_course_id is not null and p_course_id <> v_lesson.course_id then
    perform private.fail(400, 'course_mismatch', 'This lesson belongs to another course.',
      jsonb_build_object('fields', jsonb_build_object('courseId', jsonb_build_array('Not the lesson''s course.'))));
  end if;
  if v_completing and not exists (select 1 from public.lesson_progress
      where learner_id = p_learner_id and lesson_id = p_lesson_id and completed_at is not null) then
    perform private.require_unlocked(p_learner_id, p_lesson_id);
  end if;
  if p_time_spent is not null then
    v_times := private.record_device_time(p_learner_id, private.bound_device_time(p_learner_id, jsonb_build_array(
      jsonb_build_object('lesson_id', p_lesson_id, 'device_id', 'platform', 'seconds', p_time_spent))));
  end if;
  v_flips := private.merge_lesson_progress(jsonb_build_array(
    jsonb_build_object('learner_id', p_learner_id, 'lesson_id', p_lesson_id,
      'progress_percentage', p_completion_percentage, 'data', p_section_progress,
      'time_spent_seconds', v_times -> p_lesson_id::text)
    || case when v_completing then private.completion_row(p_learner_id, p_lesson_id, true, clock_timestamp()) else '{}' end));
  v_achievements := private.after_progress(p_learner_id, v_lesson.course_id, v_flips > 0, array['time_spent']);
  return jsonb_build_object(
    -- Seed 001's lesson_progress row, by its column names.
    'progress', (select jsonb_build_object('user_id', learner_id, 'lesson_id', lesson_id, 'course_id', v_lesson.course_id,
        'completion_percentage', progress_percentage, 'time_spent_seconds', time_spent_seconds,
        'section_progress', coalesce(data, '{}'), 'completed_at', private.iso(completed_at),
        'last_accessed', private.iso(last_accessed_at), 'created_at', private.iso(created_at),
        'updated_at', private.iso(updated_at))
      from public.lesson_progress where learner_id = p_learner_id and lesson_id = p_lesson_id),
    'course', (select jsonb_build_object('courseId', course_id, 'progressPercentage', progress_percentage,
        'completedAt', private.iso(completed_at))
      from public.enrollments where learner_id = p_learner_id and course_id = v_lesson.course_id),
    'achievements', v_achievements);
end;
$$;

-- As in api_sync: the browser learner's device time first, then the merge.
create or replace function public.claim_browser_learner(p_learner_id uuid, p_browser_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
set client_min_messages = warning
as $$
declare
  v_learner public.learners;
  v_times jsonb;
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

  -- Device times, completions (with their clocks) and last lessons, merged like saves.
  select private.record_device_time(p_learner_id, coalesce(jsonb_agg(jsonb_build_object(
    'lesson_id', lesson_id, 'device_id', device_id, 'seconds', seconds)), '[]'))
  into v_times
  from public.lesson_device_time where learner_id = p_browser_id;

  perform private.merge_lesson_progress(coalesce(jsonb_agg(
    (to_jsonb(lp) - 'status' - 'progress_percentage')
    || jsonb_build_object('learner_id', p_learner_id, 'time_spent_seconds', v_times -> lp.lesson_id::text)), '[]'))
  from public.lesson_progress lp where lp.learner_id = p_browser_id;

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
