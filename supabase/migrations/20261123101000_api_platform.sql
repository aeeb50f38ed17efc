-- Seed 001's platform API on the same catalog and progress rows: lesson progress and quiz
-- attempts, course listing and editing, ratings, the learner's page, achievements, leaderboard
-- and notifications.
-- Owns: the public functions of seed 001.
-- Relies on: rules (access, merge, device time, after_progress, achievements), idempotency.

/** Section - Lesson progress and quiz attempts */

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
begin
  if p_course_id is not null and p_course_id <> v_lesson.course_id then
    perform private.fail(400, 'course_mismatch', 'This lesson belongs to another course.',
      jsonb_build_object('fields', jsonb_build_object('courseId', jsonb_build_array('Not the lesson''s course.'))));
  end if;
  if v_completing and not exists (select 1 from public.lesson_progress
      where learner_id = p_learner_id and lesson_id = p_lesson_id and completed_at is not null) then
    perform private.require_unlocked(p_learner_id, p_lesson_id);
  end if;
  v_flips := private.merge_lesson_progress(jsonb_build_array(
    jsonb_build_object('learner_id', p_learner_id, 'lesson_id', p_lesson_id,
      'progress_percentage', p_completion_percentage, 'data', p_section_progress)
    || case when v_completing then private.completion_row(p_learner_id, p_lesson_id, true, clock_timestamp()) else '{}' end));
  if p_time_spent is not null then
    perform private.record_device_time(p_learner_id, private.bound_device_time(p_learner_id, jsonb_build_array(
      jsonb_build_object('lesson_id', p_lesson_id, 'device_id', 'platform', 'seconds', p_time_spent))));
  end if;
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
select private.accepts_idempotency_key('public.record_lesson_progress(uuid, text, uuid, uuid, integer, numeric, jsonb)');

-- A lesson's quiz (seed 001): passed at 70 % of the maximum, or the catalog quiz's own pass mark.
-- Retries with an Idempotency-Key are replayed by public.idempotent_call.
create or replace function public.record_lesson_quiz_attempt(
  p_learner_id uuid, p_learner_kind text, p_lesson_id uuid, p_score integer, p_max_score integer,
  p_answers jsonb, p_time_taken integer default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_lesson public.lesson_catalog;
  v_quiz public.exercises;
  v_attempt public.quiz_attempts;
begin
  if p_score < 0 or p_score > p_max_score then
    perform private.fail(400, 'score_out_of_range', 'Score must be between 0 and maxScore.',
      jsonb_build_object('fields', jsonb_build_object('score', jsonb_build_array('Must be between 0 and maxScore.'))));
  end if;
  v_lesson := private.require_lesson_access(p_learner_id, p_learner_kind, p_lesson_id);
  select * into v_quiz from public.exercises where lesson_id = p_lesson_id and kind = 'quiz' and published
  order by position limit 1;
  insert into public.quiz_attempts (learner_id, course_id, exercise_id, lesson_id, quiz_key, score, max_score,
                                    passed, answers, time_taken_seconds)
  values (p_learner_id, v_lesson.course_id, v_quiz.id, p_lesson_id, coalesce(v_quiz.id, p_lesson_id)::text,
          p_score, p_max_score, private.passes(p_score, p_max_score, v_quiz.pass_mark), p_answers, p_time_taken)
  returning * into v_attempt;
  return jsonb_build_object(
    'attempt', jsonb_build_object('id', v_attempt.id, 'lessonId', p_lesson_id, 'score', v_attempt.score,
      'maxScore', v_attempt.max_score, 'isPassed', v_attempt.passed, 'answers', v_attempt.answers,
      'timeTakenSeconds', v_attempt.time_taken_seconds, 'completedAt', private.iso(v_attempt.created_at)),
    'achievements', private.after_progress(p_learner_id, v_lesson.course_id, false, array['quizzes_passed']));
end;
$$;
select private.accepts_idempotency_key('public.record_lesson_quiz_attempt(uuid, text, uuid, integer, integer, jsonb, integer)');

/** Section - Courses */

-- Seed 001's course row, by its column names, with the instructor and lessons its course query
-- embeds (`instructor:profiles(id, full_name, avatar_url), lessons(id)`).
create or replace function private.course_row(p_course public.courses)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'id', p_course.id, 'slug', p_course.slug, 'title', p_course.title, 'description', p_course.description,
    'thumbnail_url', p_course.thumbnail_url, 'instructor_id', p_course.instructor_id,
    'difficulty_level', p_course.difficulty_level, 'estimated_duration_hours', p_course.estimated_duration_hours,
    'price', p_course.price, 'is_premium', p_course.is_premium, 'is_published', p_course.published,
    'tags', to_jsonb(p_course.tags), 'category', p_course.category, 'enrollment_count', p_course.enrollment_count,
    'average_rating', p_course.average_rating, 'rating_count', p_course.rating_count,
    'created_at', private.iso(p_course.created_at), 'updated_at', private.iso(p_course.updated_at),
    'instructor', (select jsonb_build_object('id', p.id, 'full_name', p.full_name, 'avatar_url', p.avatar_url)
                   from public.profiles p where p.id = p_course.instructor_id),
    'lessons', coalesce((select jsonb_agg(jsonb_build_object('id', lc.lesson_id)
                                          order by lc.module_position, lc.position, lc.lesson_id)
                         from public.lesson_catalog lc where lc.course_id = p_course.id and lc.counts), '[]'));
$$;

create or replace function public.list_courses(
  p_category text default null, p_difficulty text default null, p_search text default null,
  p_limit integer default 20, p_offset integer default 0)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  with matching as (
    select c.* from public.courses c
    where c.published and c.source = 'catalog'
      and (p_category is null or c.category = p_category)
      and (p_difficulty is null or c.difficulty_level = p_difficulty)
      and (p_search is null or c.title ilike '%' || replace(replace(replace(p_search, '\', '\\'), '%', '\%'), '_', '\_') || '%')
  )
  select jsonb_build_object(
    'courses', coalesce((select jsonb_agg(private.course_row(m) order by m.created_at desc, m.id)
                         from (select * from matching order by created_at desc, id limit p_limit offset p_offset) m), '[]'),
    'total', (select count(*) from matching), 'limit', p_limit, 'offset', p_offset);
$$;

create or replace function public.course_detail(p_course_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_course public.courses;
begin
  select * into v_course from public.courses where id = p_course_id and published and source = 'catalog';
  if not found then
    perform private.course_not_found(p_course_id);
  end if;
  return private.course_row(v_course);
end;
$$;

-- Instructors create courses (as their instructor) and edit their own; admins edit any. The fields
-- are seed 001's column names; the answer is the course row.
create or replace function public.save_course(p_learner_id uuid, p_course_id uuid, p_fields jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_role text := (select role from public.profiles where id = p_learner_id);
  v_course public.courses;
begin
  if v_role is null or v_role = 'student' then
    perform private.fail(403, 'not_instructor', 'Only instructors and admins manage courses.', '{}');
  end if;
  if p_course_id is null then
    insert into public.courses (slug, title, instructor_id, published)
    values (coalesce(p_fields ->> 'slug', 'course-' || substr(md5(random()::text), 1, 12)), p_fields ->> 'title', p_learner_id, false)
    returning * into v_course;
  else
    select * into v_course from public.courses where id = p_course_id and source = 'catalog' for update;
    if not found then
      perform private.course_not_found(p_course_id);
    end if;
    if v_role <> 'admin' and v_course.instructor_id is distinct from p_learner_id then
      perform private.fail(403, 'not_your_course', 'Instructors edit only their own courses.', '{}');
    end if;
  end if;
  update public.courses set
    title = coalesce(p_fields ->> 'title', title),
    slug = coalesce(p_fields ->> 'slug', slug),
    description = case when p_fields ? 'description' then p_fields ->> 'description' else description end,
    thumbnail_url = case when p_fields ? 'thumbnail_url' then p_fields ->> 'thumbnail_url' else thumbnail_url end,
    difficulty_level = coalesce(p_fields ->> 'difficulty_level', difficulty_level),
    estimated_duration_hours = case when p_fields ? 'estimated_duration_hours'
      then (p_fields ->> 'estimated_duration_hours')::integer else estimated_duration_hours end,
    price = coalesce((p_fields ->> 'price')::numeric, price),
    is_premium = coalesce((p_fields ->> 'is_premium')::boolean, is_premium),
    published = coalesce((p_fields ->> 'is_published')::boolean, published),
    tags = coalesce((select array_agg(t) from jsonb_array_elements_text(p_fields -> 'tags') t), tags),
    category = case when p_fields ? 'category' then p_fields ->> 'category' else category end
  where id = v_course.id
  returning * into v_course;
  return private.course_row(v_course);
end;
$$;
select private.accepts_idempotency_key('public.save_course(uuid, uuid, jsonb)');

create or replace function public.rate_course(
  p_learner_id uuid, p_learner_kind text, p_course_id uuid, p_rating integer, p_review text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_course_access(p_learner_id, p_course_id);
  perform private.ensure_learner(p_learner_id, p_learner_kind);
  insert into public.course_ratings as r (learner_id, course_id, rating, review)
  values (p_learner_id, p_course_id, p_rating, p_review)
  on conflict (learner_id, course_id) do update set rating = excluded.rating, review = excluded.review;
  return (select jsonb_build_object('courseId', id, 'rating', p_rating, 'review', p_review,
            'averageRating', average_rating, 'ratingCount', rating_count)
          from public.courses where id = p_course_id);
end;
$$;
select private.accepts_idempotency_key('public.rate_course(uuid, text, uuid, integer, text)');

/** Section - Learners: me, achievements, leaderboard, notifications */

create or replace function public.learner_overview(p_learner_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'learnerId', p_learner_id,
    'points', coalesce(l.points, 0),
    'streakDays', coalesce(private.current_streak(l), 0),
    'lastActiveOn', l.last_active_on,
    'timeZone', coalesce(l.time_zone, 'UTC'),
    'profile', (select jsonb_build_object('username', p.username, 'fullName', p.full_name,
                  'avatarUrl', p.avatar_url, 'role', p.role)
                from public.profiles p where p.id = p_learner_id))
  from (select 1) one left join public.learners l on l.id = p_learner_id;
$$;

create or replace function public.update_learner_settings(p_learner_id uuid, p_learner_kind text, p_settings jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_settings ? 'timeZone' and not exists (select 1 from pg_catalog.pg_timezone_names where name = p_settings ->> 'timeZone') then
    perform private.fail(400, 'unknown_time_zone', 'Unknown time zone.',
      jsonb_build_object('fields', jsonb_build_object('timeZone', jsonb_build_array('Use an IANA name such as Europe/Paris.'))));
  end if;
  perform private.ensure_learner(p_learner_id, p_learner_kind);
  -- A new zone counts for streaks from the next midnight of the zone in force (learners.time_zone_from).
  update public.learners l set
    streak_time_zone = private.zone_in_force(l),
    time_zone = p_settings ->> 'timeZone',
    time_zone_from = case when p_settings ->> 'timeZone' <> private.zone_in_force(l)
      then ((now() at time zone private.zone_in_force(l))::date + 1)::timestamp at time zone private.zone_in_force(l) end
  where l.id = p_learner_id and p_settings ? 'timeZone' and l.time_zone <> p_settings ->> 'timeZone';
  update public.profiles set
    full_name = coalesce(p_settings ->> 'fullName', full_name),
    avatar_url = case when p_settings ? 'avatarUrl' then p_settings ->> 'avatarUrl' else avatar_url end,
    username = coalesce(p_settings ->> 'username', username)
  where id = p_learner_id;
  return public.learner_overview(p_learner_id);
end;
$$;
select private.accepts_idempotency_key('public.update_learner_settings(uuid, text, jsonb)');

create or replace function public.learner_achievements(p_learner_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object('achievements', coalesce(jsonb_agg(jsonb_build_object(
      'id', a.id, 'title', a.title, 'description', a.description, 'icon', a.icon, 'badgeColor', a.badge_color,
      'pointsValue', a.points_value, 'criteria', a.criteria, 'earned', ua.earned_at is not null,
      'earnedAt', private.iso(ua.earned_at)) order by a.points_value, a.title), '[]'))
  from public.achievements a
  left join public.user_achievements ua on ua.achievement_id = a.id and ua.learner_id = p_learner_id
  where a.is_active;
$$;

create or replace function public.leaderboard(p_limit integer default 10)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object('leaders', coalesce(jsonb_agg(jsonb_build_object(
      'rank', rank, 'username', username, 'fullName', full_name, 'avatarUrl', avatar_url,
      'points', points, 'streakDays', streak) order by rank, username), '[]'))
  from (
    select l.id, p.username, p.full_name, p.avatar_url, l.points, private.current_streak(l) as streak,
           rank() over (order by l.points desc) as rank
    from public.learners l join public.profiles p on p.id = l.id
    where l.points > 0
    order by l.points desc, p.username
    limit p_limit
  ) top;
$$;

create or replace function public.learner_notifications(p_learner_id uuid, p_limit integer default 50)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'notifications', coalesce((select jsonb_agg(jsonb_build_object('id', id, 'type', type, 'title', title,
        'message', message, 'data', data, 'read', read_at is not null, 'createdAt', private.iso(created_at))
        order by created_at desc, id desc)
      from (select * from public.notifications where learner_id = p_learner_id
            order by created_at desc, id desc limit p_limit) n), '[]'),
    'unread', (select count(*) from public.notifications where learner_id = p_learner_id and read_at is null));
$$;

create or replace function public.mark_notification_read(p_learner_id uuid, p_notification_id bigint)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.notifications set read_at = coalesce(read_at, now())
  where id = p_notification_id and learner_id = p_learner_id;
  if not found then
    perform private.fail(404, 'notification_not_found', 'Notification not found.', '{}');
  end if;
  return jsonb_build_object('id', p_notification_id, 'read', true);
end;
$$;
select private.accepts_idempotency_key('public.mark_notification_read(uuid, bigint)');

-- Seed 001's own calls, with the signed-in user's session straight through PostgREST (and from
-- the service): each for the caller's own id only. (No JWT at all: a database session of the
-- service or an operator.)
create or replace function private.require_self(p_learner_id uuid)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if coalesce((select auth.role()), 'service_role') <> 'service_role' and p_learner_id is distinct from (select auth.uid()) then
    perform private.fail(403, 'not_yourself', 'Only for your own learner id.', '{}');
  end if;
end;
$$;

-- Awards what the learner has earned (every progress write already does).
create or replace function public.check_achievements(user_uuid uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_self(user_uuid);
  return private.award_achievements(user_uuid);
end;
$$;
grant execute on function public.check_achievements(uuid) to authenticated;

-- The counts seed 001's route uses (it calls it, never defines it): counting lessons of the
-- course, and how many of them the learner has completed.
create or replace function public.get_course_progress(user_uuid uuid, course_uuid uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_rollup jsonb;
begin
  perform private.require_self(user_uuid);
  v_rollup := private.course_rollup(user_uuid, course_uuid);
  return jsonb_build_object('total_lessons', (v_rollup ->> 'totalCount')::integer,
                            'completed_lessons', (v_rollup ->> 'completedCount')::integer,
                            'progress_percentage', (v_rollup ->> 'percent')::integer);
end;
$$;
grant execute on function public.get_course_progress(uuid, uuid) to authenticated;

/** Section - Seed 001's course query straight through PostgREST */

-- `lessons(id)` in `from('courses').select('*, instructor:profiles(...), lessons(id)')`: a
-- computed relationship (lessons hang off modules here), under the caller's RLS.
create or replace function public.lessons(public.courses)
returns setof public.lessons
rows 50
language sql
stable
set search_path = ''
as $$
  select l.* from public.lessons l join public.modules m on m.id = l.module_id
  where m.course_id = $1.id
  order by m.position, l.position, l.id;
$$;
grant execute on function public.lessons(public.courses) to anon, authenticated;
