-- Roll-ups from counts kept up to date in the write, instead of recounted on every call.
-- A write changes one lesson at a time, so it adjusts one (learner, module) counter; a read adds
-- up a learner's few counters instead of visiting every completed lesson. The catalog, whose
-- publish changes are rare, stays the place that recomputes: a change to what counts recounts
-- the course's totals and every learner's counters of it.
-- Owns: private.module_lesson_totals, private.learner_module_counts, private.open_catalog_lessons,
-- the lesson_progress trigger that keeps them, the catalog recount and the catalog triggers that
-- call it (private.course_lesson_totals, which module totals replace, is dropped); new bodies for
-- the module, course and overall roll-ups, for the achievement check (only the criteria a write
-- can move) and after_progress.
-- Relies on: catalog (its totals' triggers and catalog_changed), progress, rules.

/** Section - Tables */

-- How many counting lessons each module has; a course's total is the sum of its modules'. (They
-- replace private.course_lesson_totals, dropped below once nothing reads it.)
create table private.module_lesson_totals (
  module_id uuid primary key references public.modules (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  lessons integer not null check (lessons > 0)
);
create index module_lesson_totals_course_id on private.module_lesson_totals (course_id);

-- Per learner and module: counting lessons completed, and counting lessons with a progress row
-- (started: the module was touched). Kept by private.count_lesson_progress on every change of a
-- lesson row, and recounted by private.refresh_course_totals on every change of what counts.
create table private.learner_module_counts (
  learner_id uuid not null references public.learners (id) on delete cascade,
  module_id uuid not null references public.modules (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  completed integer not null default 0 check (completed >= 0),
  started integer not null default 0 check (started >= completed),
  primary key (learner_id, module_id)
);
create index learner_module_counts_course_id on private.learner_module_counts (course_id);
create index learner_module_counts_module_id on private.learner_module_counts (module_id);

-- How many counting lessons the published free courses have together: what every learner can
-- access before their premium enrollments. One row.
create table private.open_catalog_lessons (
  singleton boolean primary key default true check (singleton),
  lessons bigint not null default 0 check (lessons >= 0)
);
insert into private.open_catalog_lessons default values;

/** Section - Keeping the counts */

-- The lock that orders a course's recount and the writes that adjust its counters: writers
-- share it, a recount holds it alone until its transaction ends, so that neither misses the
-- other's change.
create or replace function private.course_lock_key(p_course_id uuid)
returns bigint
language sql
immutable
begin atomic
  select hashtextextended(p_course_id::text, 17);
end;

-- One lesson row inserted, deleted, or completed / uncompleted: adjust its module's counters
-- when the lesson counts. A write that flips no completion never gets here (see the triggers).
create or replace function private.count_lesson_progress()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_row public.lesson_progress := case when tg_op = 'DELETE' then old else new end;
  v_started integer := case tg_op when 'INSERT' then 1 when 'DELETE' then -1 else 0 end;
  v_completed integer := case when tg_op = 'DELETE' then 0 else (new.completed_at is not null)::integer end
                       - case when tg_op = 'INSERT' then 0 else (old.completed_at is not null)::integer end;
  v_module_id uuid;
  v_course_id uuid;
begin
  select m.id, m.course_id into v_module_id, v_course_id
  from public.lessons l join public.modules m on m.id = l.module_id
  where l.id = v_row.lesson_id;
  if not found then
    return null;  -- the lesson itself is being deleted: its course is recounted
  end if;
  perform pg_advisory_xact_lock_shared(private.course_lock_key(v_course_id));
  -- A fresh statement after the lock: it sees a recount's catalog change once that committed.
  if not exists (select 1 from public.lesson_catalog lc where lc.lesson_id = v_row.lesson_id and lc.counts) then
    return null;
  end if;
  -- A lesson row's first insert makes the counter; every other change finds it there (the
  -- recount makes one for every lesson row that counts).
  if tg_op = 'INSERT' then
    insert into private.learner_module_counts as c (learner_id, module_id, course_id, completed, started)
    values (v_row.learner_id, v_module_id, v_course_id, v_completed, v_started)
    on conflict (learner_id, module_id) do update
      set completed = c.completed + excluded.completed, started = c.started + excluded.started;
  else
    update private.learner_module_counts
    set completed = completed + v_completed, started = started + v_started
    where learner_id = v_row.learner_id and module_id = v_module_id;
  end if;
  return null;
end;
$$;

create trigger lesson_progress_counts_insert after insert on public.lesson_progress
  for each row execute function private.count_lesson_progress();
create trigger lesson_progress_counts_delete after delete on public.lesson_progress
  for each row execute function private.count_lesson_progress();
create trigger lesson_progress_counts_completion after update of completed_at on public.lesson_progress
  for each row when ((old.completed_at is null) <> (new.completed_at is null))
  execute function private.count_lesson_progress();

-- A course's modules' totals and every learner's counters of it, recounted.
create or replace function private.recount_course(p_course_id uuid)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform pg_advisory_xact_lock(private.course_lock_key(p_course_id));
  delete from private.module_lesson_totals where course_id = p_course_id;
  insert into private.module_lesson_totals (module_id, course_id, lessons)
  select lc.module_id, p_course_id, count(*) from public.lesson_catalog lc
  where lc.course_id = p_course_id and lc.counts
  group by lc.module_id
  on conflict (module_id) do update set course_id = excluded.course_id, lessons = excluded.lessons;

  delete from private.learner_module_counts where course_id = p_course_id;
  insert into private.learner_module_counts (learner_id, module_id, course_id, completed, started)
  select lp.learner_id, lc.module_id, p_course_id, count(lp.completed_at), count(*)
  from public.lesson_catalog lc join public.lesson_progress lp on lp.lesson_id = lc.lesson_id
  where lc.course_id = p_course_id and lc.counts
  group by lp.learner_id, lc.module_id
  on conflict (learner_id, module_id) do update
    set course_id = excluded.course_id, completed = excluded.completed, started = excluded.started;
end;
$$;

-- Recounts one course (unless it was deleted) and the open catalog's total. Called by the
-- catalog triggers (private.catalog_changed) on every change of what counts.
create or replace function private.refresh_course_totals(p_course_id uuid)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform 1 from public.courses where id = p_course_id for no key update;
  if found then
    perform private.recount_course(p_course_id);
  end if;
  -- Concurrent recounts queue on the open total's row; each sums what has committed.
  perform 1 from private.open_catalog_lessons for update;
  update private.open_catalog_lessons set lessons = (
    select coalesce(sum(t.lessons), 0) from private.module_lesson_totals t
    join public.courses c on c.id = t.course_id
    where c.published and not c.is_premium);
end;
$$;

-- A recount now also rebuilds learners' counters, so the catalog triggers fire only when what
-- counts really changed (an import that upserts an unchanged catalog recounts nothing), and a
-- course that turns premium or free is recounted too: it changes what every learner can access.
drop trigger lessons_course_totals on public.lessons;
drop trigger modules_course_totals on public.modules;
drop trigger courses_course_totals on public.courses;
create trigger lessons_course_totals after insert or delete on public.lessons
  for each row execute function private.catalog_changed();
create trigger lessons_course_totals_changed after update of module_id, published on public.lessons
  for each row when (old.module_id is distinct from new.module_id or old.published is distinct from new.published)
  execute function private.catalog_changed();
create trigger modules_course_totals after insert or delete on public.modules
  for each row execute function private.catalog_changed();
create trigger modules_course_totals_changed after update of course_id, published on public.modules
  for each row when (old.course_id is distinct from new.course_id or old.published is distinct from new.published)
  execute function private.catalog_changed();
create trigger courses_course_totals after insert on public.courses
  for each row execute function private.catalog_changed();
create trigger courses_course_totals_changed after update of published, source, is_premium on public.courses
  for each row when (old.published is distinct from new.published or old.source is distinct from new.source
                     or old.is_premium is distinct from new.is_premium)
  execute function private.catalog_changed();

-- The counters of every course as they stand (the first time, and after `make reset`).
select private.refresh_course_totals(id) from public.courses;

/** Section - Roll-ups */

create or replace function private.module_rollup(p_learner_id uuid, p_module_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select private.module_json(p_module_id, coalesce(c.completed, 0), coalesce(t.lessons, 0),
      coalesce(c.started > 0, false) or v.learner_id is not null)
    from (select 1) one
    left join private.module_lesson_totals t on t.module_id = p_module_id
    left join private.learner_module_counts c on c.learner_id = p_learner_id and c.module_id = p_module_id
    left join public.content_visits v on v.learner_id = p_learner_id and v.content_id = p_module_id);
end;
$$;

-- Every module of a course that has counting lessons, from its totals and the learner's counters.
create or replace function private.module_rollups(p_learner_id uuid, p_course_id uuid)
returns table (module_id uuid, module_position integer, rollup jsonb)
language plpgsql
stable
set search_path = ''
as $$
begin
  return query
  select t.module_id, m.position,
    private.module_json(t.module_id, coalesce(c.completed, 0), t.lessons,
      coalesce(c.started > 0, false) or v.learner_id is not null)
  from private.module_lesson_totals t
  join public.modules m on m.id = t.module_id
  left join private.learner_module_counts c on c.learner_id = p_learner_id and c.module_id = t.module_id
  left join public.content_visits v on v.learner_id = p_learner_id and v.content_id = t.module_id
  where t.course_id = p_course_id;
end;
$$;

-- Every counting lesson of every course the learner can access: the open catalog's total plus
-- the premium courses the learner is enrolled in, over the learner's counters of accessible
-- courses. A few key lookups, whatever the size of the catalog.
create or replace function private.overall_rollup(p_learner_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_total bigint;
  v_completed bigint;
begin
  select o.lessons + coalesce((
    select sum(t.lessons)
    from public.enrollments e
    join private.accessible_courses(p_learner_id) a on a = e.course_id
    join public.courses c on c.id = e.course_id and c.is_premium
    join private.module_lesson_totals t on t.course_id = e.course_id
    where e.learner_id = p_learner_id), 0)
  into v_total
  from private.open_catalog_lessons o;
  select coalesce(sum(c.completed), 0) into v_completed
  from private.learner_module_counts c
  join private.accessible_courses(p_learner_id) a on a = c.course_id
  where c.learner_id = p_learner_id;
  return jsonb_build_object(
    'percent', private.percent(v_completed, v_total),
    'completedCount', v_completed,
    'totalCount', v_total);
end;
$$;

-- Every reader of the per-course totals now reads the modules' totals.
drop table private.course_lesson_totals;

/** Section - Achievements */

-- As before, but each statistic is computed only when an achievement the learner lacks needs it.
create or replace function private.award_achievements(p_learner_id uuid, p_kinds text[] default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_needed text[];
  v_earned jsonb;
begin
  -- Only the kinds of criteria the write can have moved (null: every kind) that the learner still
  -- lacks one of: most writes of a learner who holds them stop here.
  select array_agg(distinct a.criteria ->> 'type') into v_needed
  from public.achievements a
  where a.is_active and (p_kinds is null or a.criteria ->> 'type' = any (p_kinds))
    and not exists (select 1 from public.user_achievements ua
                    where ua.learner_id = p_learner_id and ua.achievement_id = a.id);
  if v_needed is null then
    return '[]';
  end if;
  with stats as (
    select
      case when 'courses_completed' = any (v_needed) then
        (select count(*) from public.enrollments where learner_id = p_learner_id and completed_at is not null) end as courses,
      case when 'quizzes_passed' = any (v_needed) then
        (select count(distinct (course_id, quiz_key)) from public.quiz_attempts where learner_id = p_learner_id and passed) end as quizzes,
      case when 'lessons_completed' = any (v_needed) then
        (select count(*) from public.lesson_progress where learner_id = p_learner_id and completed_at is not null) end as lessons,
      case when 'time_spent' = any (v_needed) then
        (select coalesce(sum(greatest(time_spent_seconds, watch_seconds)), 0) from public.lesson_progress
         where learner_id = p_learner_id) end as seconds,
      case when 'streak_days' = any (v_needed) then
        (select private.current_streak(l) from public.learners l where l.id = p_learner_id) end as streak
  ),
  met as (
    select a.* from public.achievements a, stats s
    where a.is_active and a.criteria ->> 'type' = any (v_needed)
      and not exists (select 1 from public.user_achievements ua
                      where ua.learner_id = p_learner_id and ua.achievement_id = a.id)
      and case a.criteria ->> 'type'
      when 'courses_completed' then s.courses >= (a.criteria ->> 'count')::bigint
      when 'quizzes_passed' then s.quizzes >= (a.criteria ->> 'count')::bigint
      when 'lessons_completed' then s.lessons >= (a.criteria ->> 'count')::bigint
      when 'time_spent' then s.seconds >= (a.criteria ->> 'seconds')::bigint
      when 'streak_days' then s.streak >= (a.criteria ->> 'days')::bigint
      else false end
  ),
  awarded as (
    insert into public.user_achievements (learner_id, achievement_id)
    select p_learner_id, id from met
    on conflict do nothing
    returning achievement_id, earned_at
  ),
  earned as (
    select m.*, aw.earned_at from met m join awarded aw on aw.achievement_id = m.id
  ),
  points as (
    update public.learners set points = points + (select coalesce(sum(points_value), 0) from earned)
    where id = p_learner_id and exists (select 1 from earned)
  ),
  notified as (
    insert into public.notifications (learner_id, type, title, message, data)
    select p_learner_id, 'achievement', 'Achievement unlocked!', format('You earned the "%s" badge', title),
           jsonb_build_object('achievementId', id, 'points', points_value)
    from earned
  )
  select coalesce(jsonb_agg(jsonb_build_object('id', id, 'title', title, 'description', description, 'icon', icon,
    'badgeColor', badge_color, 'pointsValue', points_value, 'earnedAt', private.iso(earned_at)) order by title), '[]')
  into v_earned
  from earned;
  return v_earned;
end;
$$;

/** Section - After every progress write */

-- What every progress write runs last, in its transaction. A write that completed or uncompleted
-- no lesson (p_completion_changed false) leaves the course roll-up as it was. Every write checks
-- only the achievements whose criteria it can have moved: p_kinds (time_spent, quizzes_passed),
-- lessons_completed on a completion change, courses_completed when the course's completion
-- changed, streak_days on the learner's first activity of the day.
create or replace function private.after_progress(
  p_learner_id uuid, p_course_id uuid, p_completion_changed boolean default true, p_kinds text[] default '{}')
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_rollup jsonb;
  v_was_completed timestamptz;
  v_now_completed timestamptz;
  v_kinds text[] := p_kinds || case when private.record_activity(p_learner_id) then array['streak_days'] else '{}' end;
begin
  if not p_completion_changed then
    return private.award_achievements(p_learner_id, v_kinds);
  end if;
  v_kinds := v_kinds || array['lessons_completed'];
  if p_course_id is not null then
    select completed_at into v_was_completed from public.enrollments
    where learner_id = p_learner_id and course_id = p_course_id for update;
    if found then
      v_rollup := private.course_rollup(p_learner_id, p_course_id);
      update public.enrollments set
        progress_percentage = (v_rollup ->> 'percent')::integer,
        completed_at = case when v_rollup ->> 'status' = 'completed' then coalesce(completed_at, now()) end
      where learner_id = p_learner_id and course_id = p_course_id
      returning completed_at into v_now_completed;
      if v_was_completed is null and v_now_completed is not null then
        v_kinds := v_kinds || array['courses_completed'];
        insert into public.notifications (learner_id, type, title, message, data)
        select p_learner_id, 'course_completion', 'Course completed!', format('Congratulations on completing "%s"', title),
               jsonb_build_object('courseId', id)
        from public.courses where id = p_course_id;
      end if;
    end if;
  end if;
  return private.award_achievements(p_learner_id, v_kinds);
end;
$$;
