-- Seed 001's platform around progress: ratings, achievements, notifications, and the course
-- counters (enrollments, ratings) that triggers keep equal to their rows.
-- Owns: those tables, the counter triggers and their RLS.
-- Relies on: foundation, catalog, progress (enrollments).

/** Section - Tables */
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
create index course_ratings_course_id on public.course_ratings (course_id);
create index user_achievements_achievement_id on public.user_achievements (achievement_id);
create index notifications_learner on public.notifications (learner_id, created_at desc);

/** Section - Triggers */
create trigger course_ratings_updated_at before update on public.course_ratings
  for each row execute function private.touch_updated_at();

-- Counters move by the row's own change (atomic increments), so concurrent enrollments and
-- ratings never overwrite each other's effect.
-- Security definer: whoever writes the row (a learner straight through PostgREST included), the
-- counter moves, and nobody else may write the counters (column privileges in the catalog file).
create or replace function private.count_enrollments()
returns trigger
language plpgsql
security definer
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
security definer
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

/** Section - RLS Policies */
alter table public.course_ratings enable row level security;
alter table public.achievements enable row level security;
alter table public.user_achievements enable row level security;
alter table public.notifications enable row level security;

create policy "Ratings are visible to everyone"
  on public.course_ratings for select to anon, authenticated using (true);
-- The API's rules: a learner rates, as themselves, a course they may use (premium: enrolled).
create policy "Learners rate courses they may use, as themselves"
  on public.course_ratings for insert to authenticated
  with check (learner_id = (select auth.uid()) and private.course_accessible((select auth.uid()), course_id));
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

/** Section - Column privileges */
-- A rating's learner and course are fixed once written; a notification's text is the service's.
revoke insert, update, delete on public.course_ratings, public.achievements, public.user_achievements,
  public.notifications from anon;
revoke insert, update on public.course_ratings from authenticated;
grant insert (learner_id, course_id, rating, review) on public.course_ratings to authenticated;
grant update (rating, review) on public.course_ratings to authenticated;
revoke update on public.notifications from authenticated;
grant update (read_at) on public.notifications to authenticated;
