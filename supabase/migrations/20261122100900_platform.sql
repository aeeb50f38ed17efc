-- Seed 001's platform around progress, on the same catalog and progress rows: profiles with
-- roles, course details kept by triggers, ratings, streaks, achievements and notifications.

/** Section - Tables */
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  username text not null unique check (char_length(username) between 3 and 50),
  full_name text not null default '' check (char_length(full_name) <= 200),
  avatar_url text check (char_length(avatar_url) <= 1000),
  role text not null default 'student' check (role in ('student', 'instructor', 'admin')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Points, streaks and the learner's time zone belong to every learner, anonymous ones included.
alter table public.learners
  add column points integer not null default 0 check (points >= 0),
  add column streak_days integer not null default 0 check (streak_days >= 0),
  add column last_active_on date,
  add column time_zone text not null default 'UTC';

create table public.learner_activity_days (
  learner_id uuid not null references public.learners (id) on delete cascade,
  day date not null,
  primary key (learner_id, day)
);

alter table public.courses
  add column description text check (char_length(description) <= 5000),
  add column thumbnail_url text check (char_length(thumbnail_url) <= 1000),
  add column instructor_id uuid references public.profiles (id) on delete set null,
  add column difficulty_level text not null default 'beginner'
    check (difficulty_level in ('beginner', 'intermediate', 'advanced')),
  add column estimated_duration_hours integer check (estimated_duration_hours > 0),
  add column price numeric(10, 2) not null default 0 check (price >= 0),
  add column tags text[] not null default '{}',
  add column category text,
  add column enrollment_count integer not null default 0 check (enrollment_count >= 0),
  add column rating_count integer not null default 0 check (rating_count >= 0),
  add column rating_sum integer not null default 0 check (rating_sum >= 0),
  add column average_rating numeric(3, 2) not null default 0 check (average_rating between 0 and 5);

alter table public.enrollments
  add column progress_percentage integer not null default 0 check (progress_percentage between 0 and 100),
  add column completed_at timestamptz;

create table public.course_ratings (
  learner_id uuid not null references public.learners (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  rating integer not null check (rating between 1 and 5),
  review text check (char_length(review) <= 5000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (learner_id, course_id)
);

create table public.achievements (
  id uuid primary key default gen_random_uuid(),
  title text not null check (char_length(title) between 1 and 200),
  description text,
  icon text not null default 'star',
  badge_color text not null default 'blue',
  points_value integer not null default 0 check (points_value >= 0),
  -- {"type": "courses_completed" | "quizzes_passed" | "lessons_completed", "count": n}
  -- {"type": "streak_days", "days": n}  {"type": "time_spent", "seconds": n}
  criteria jsonb not null check (
    criteria ->> 'type' in ('courses_completed', 'quizzes_passed', 'lessons_completed', 'streak_days', 'time_spent')
    and coalesce(criteria ->> 'count', criteria ->> 'days', criteria ->> 'seconds') ~ '^[0-9]+$'),
  is_active boolean not null default true,
  created_at timestamptz not null default now()
);

create table public.user_achievements (
  learner_id uuid not null references public.learners (id) on delete cascade,
  achievement_id uuid not null references public.achievements (id) on delete cascade,
  earned_at timestamptz not null default now(),
  primary key (learner_id, achievement_id)
);

create table public.notifications (
  id bigint generated always as identity primary key,
  learner_id uuid not null references public.learners (id) on delete cascade,
  type text not null check (type in ('achievement', 'course_completion')),
  title text not null,
  message text not null,
  data jsonb not null default '{}',
  read_at timestamptz,
  created_at timestamptz not null default now()
);

/** Section - Indexes */
create index courses_instructor_id on public.courses (instructor_id);
create index courses_category on public.courses (category) where published;
create index courses_difficulty on public.courses (difficulty_level) where published;
create index course_ratings_course_id on public.course_ratings (course_id);
create index user_achievements_achievement_id on public.user_achievements (achievement_id);
create index notifications_learner on public.notifications (learner_id, created_at desc);
create index learners_points on public.learners (points desc);

/** Section - Triggers */

-- Supabase's usual pattern: a profile (and a learner) for every new auth user.
create or replace function private.create_profile_for_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_username text := coalesce(nullif(new.raw_user_meta_data ->> 'username', ''), 'learner-' || left(new.id::text, 8));
begin
  insert into public.learners (id, kind) values (new.id, 'account') on conflict do nothing;
  insert into public.profiles (id, username, full_name, avatar_url)
  values (new.id,
          case when exists (select 1 from public.profiles where username = v_username)
               then v_username || '-' || left(new.id::text, 8) else v_username end,
          coalesce(new.raw_user_meta_data ->> 'full_name', ''),
          new.raw_user_meta_data ->> 'avatar_url');
  return new;
end;
$$;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function private.create_profile_for_user();

create trigger profiles_updated_at before update on public.profiles
  for each row execute function private.touch_updated_at();
create trigger course_ratings_updated_at before update on public.course_ratings
  for each row execute function private.touch_updated_at();

-- Counters move by the row's own change (atomic increments), so concurrent enrollments and
-- ratings never overwrite each other's effect.
create or replace function private.count_enrollments()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  update public.courses
  set enrollment_count = enrollment_count + case when tg_op = 'INSERT' then 1 else -1 end
  where id = coalesce(new.course_id, old.course_id);
  return null;
end;
$$;
create trigger enrollments_count after insert or delete on public.enrollments
  for each row execute function private.count_enrollments();

create or replace function private.sum_ratings()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  update public.courses c
  set rating_count = c.rating_count + d.count_change,
      rating_sum = c.rating_sum + d.sum_change,
      average_rating = case when c.rating_count + d.count_change = 0 then 0
                            else round((c.rating_sum + d.sum_change)::numeric / (c.rating_count + d.count_change), 2) end
  from (select
          case tg_op when 'INSERT' then 1 when 'DELETE' then -1 else 0 end as count_change,
          coalesce(case when tg_op <> 'DELETE' then new.rating end, 0)
            - coalesce(case when tg_op <> 'INSERT' then old.rating end, 0) as sum_change) d
  where c.id = coalesce(new.course_id, old.course_id);
  return null;
end;
$$;
create trigger course_ratings_sum after insert or update or delete on public.course_ratings
  for each row execute function private.sum_ratings();

/** Section - Roles */

-- Admins: a profile role of admin, or app_metadata.role (set by the service role) of admin.
create or replace function private.is_admin()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce((select auth.jwt()) -> 'app_metadata' ->> 'role' = 'admin', false)
      or exists (select 1 from public.profiles where id = (select auth.uid()) and role = 'admin');
$$;

create or replace function private.is_instructor()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (select 1 from public.profiles where id = (select auth.uid()) and role in ('instructor', 'admin'));
$$;

/** Section - RLS Policies */
alter table public.profiles enable row level security;
alter table public.learner_activity_days enable row level security;
alter table public.course_ratings enable row level security;
alter table public.achievements enable row level security;
alter table public.user_achievements enable row level security;
alter table public.notifications enable row level security;

create policy "Public profile fields are visible to everyone"
  on public.profiles for select to anon, authenticated using (true);
create policy "Learners edit their own profile"
  on public.profiles for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()) and role = (select p.role from public.profiles p where p.id = (select auth.uid())));

create policy "Activity days are visible to their learner"
  on public.learner_activity_days for select to authenticated using (learner_id = (select auth.uid()));

create policy "Ratings are visible to everyone"
  on public.course_ratings for select to anon, authenticated using (true);
create policy "Learners rate courses as themselves"
  on public.course_ratings for insert to authenticated with check (learner_id = (select auth.uid()));
create policy "Learners edit their own ratings"
  on public.course_ratings for update to authenticated
  using (learner_id = (select auth.uid())) with check (learner_id = (select auth.uid()));
create policy "Learners delete their own ratings"
  on public.course_ratings for delete to authenticated using (learner_id = (select auth.uid()));

create policy "Active achievements are visible to everyone"
  on public.achievements for select to anon, authenticated using (is_active or (select private.is_admin()));
create policy "Admins manage achievements"
  on public.achievements for all to authenticated
  using ((select private.is_admin())) with check ((select private.is_admin()));

create policy "Earned achievements are visible to their learner"
  on public.user_achievements for select to authenticated using (learner_id = (select auth.uid()));

create policy "Notifications are visible to their learner"
  on public.notifications for select to authenticated using (learner_id = (select auth.uid()));
create policy "Learners mark their own notifications read"
  on public.notifications for update to authenticated
  using (learner_id = (select auth.uid())) with check (learner_id = (select auth.uid()));

create policy "Instructors manage their own courses"
  on public.courses for update to authenticated
  using (instructor_id = (select auth.uid()) and (select private.is_instructor()))
  with check (instructor_id = (select auth.uid()));
create policy "Instructors create courses as themselves"
  on public.courses for insert to authenticated
  with check (instructor_id = (select auth.uid()) and (select private.is_instructor()));
create policy "Instructors see their unpublished courses"
  on public.courses for select to authenticated using (instructor_id = (select auth.uid()));

revoke execute on all functions in schema private from public, anon, authenticated;
grant execute on function private.is_admin(), private.is_instructor() to anon, authenticated;
