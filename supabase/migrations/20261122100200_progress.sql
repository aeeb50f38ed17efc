-- What each learner has done: one row per (learner, lesson) that every contract reads and writes,
-- exercise results, visits to modules / courses / themes, and enrollments.
-- Only the service role writes (through the RPCs); learners read their own rows.

/** Section - Tables */
create table public.enrollments (
  learner_id uuid not null references public.learners (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  -- explicit: the learner (or, for premium courses, the platform) enrolled; progress: a free
  -- course enrolled on the learner's first progress in it.
  source text not null check (source in ('explicit', 'progress')),
  enrolled_at timestamptz not null default now(),
  primary key (learner_id, course_id)
);

-- Completion is a pair of last-writer-wins clocks, so that saves from any device in any order
-- converge: the lesson is completed while its latest completion is not older than its latest
-- unmark. `completed_at` shows the first completion while completed. `status` and
-- `completed_at` are derived by private.merge_lesson_progress, the only writer.
create table public.lesson_progress (
  learner_id uuid not null references public.learners (id) on delete cascade,
  lesson_id uuid not null references public.lessons (id) on delete cascade,
  status text not null default 'in-progress'
    check (status in ('not-started', 'in-progress', 'completed')),
  completed_at timestamptz,
  first_completed_at timestamptz,
  completion_clock timestamptz,
  unmark_clock timestamptz,
  progress_percentage integer not null default 0 check (progress_percentage between 0 and 100),
  time_spent_seconds integer not null default 0 check (time_spent_seconds >= 0),
  -- Video chapters (seed 002): watch time never decreases; the position is where to resume.
  watch_seconds integer not null default 0 check (watch_seconds >= 0),
  last_position_seconds integer check (last_position_seconds >= 0),
  score integer check (score >= 0),
  data jsonb,
  last_accessed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (learner_id, lesson_id),
  check ((status = 'completed') = (completed_at is not null)),
  check (status <> 'completed' or progress_percentage = 100)
);

create table public.exercise_progress (
  learner_id uuid not null references public.learners (id) on delete cascade,
  exercise_id uuid not null references public.exercises (id) on delete cascade,
  status text not null default 'in-progress'
    check (status in ('not-started', 'in-progress', 'completed')),
  completed_at timestamptz,
  progress_percentage integer not null default 0 check (progress_percentage between 0 and 100),
  score integer check (score >= 0),
  data jsonb,
  last_accessed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (learner_id, exercise_id),
  check ((status = 'completed') = (completed_at is not null))
);

-- Time per device: each device reports its own running total per lesson, so a re-sent counter
-- never double-counts (max per device) while two devices add up (sum over devices).
create table public.lesson_device_time (
  learner_id uuid not null,
  lesson_id uuid not null,
  device_id text not null check (char_length(device_id) between 1 and 100),
  seconds integer not null check (seconds >= 0),
  updated_at timestamptz not null default now(),
  primary key (learner_id, lesson_id, device_id),
  foreign key (learner_id, lesson_id) references public.lesson_progress (learner_id, lesson_id) on delete cascade
);

-- Modules, courses and themes are never completed by declaration: their status is rolled up
-- from lessons. A visit only records when the learner was there and any client state.
create table public.content_visits (
  learner_id uuid not null references public.learners (id) on delete cascade,
  content_id uuid not null,
  content_type text not null check (content_type in ('module', 'course', 'theme')),
  data jsonb,
  last_accessed_at timestamptz not null default now(),
  primary key (learner_id, content_id)
);

/** Section - Indexes */
create index enrollments_course_id on public.enrollments (course_id);
create index lesson_progress_lesson_id on public.lesson_progress (lesson_id);
create index lesson_progress_recent on public.lesson_progress (learner_id, last_accessed_at desc);
create index exercise_progress_exercise_id on public.exercise_progress (exercise_id);

/** Section - Triggers */
create trigger lesson_progress_updated_at before update on public.lesson_progress
  for each row execute function private.touch_updated_at();
create trigger exercise_progress_updated_at before update on public.exercise_progress
  for each row execute function private.touch_updated_at();

/** Section - RLS Policies */
alter table public.enrollments enable row level security;
alter table public.lesson_progress enable row level security;
alter table public.exercise_progress enable row level security;
alter table public.content_visits enable row level security;

create policy "Enrollments are visible to their learner"
  on public.enrollments for select to authenticated
  using (learner_id = (select auth.uid()));

create policy "Lesson progress is visible to its learner"
  on public.lesson_progress for select to authenticated
  using (learner_id = (select auth.uid()));

create policy "Exercise progress is visible to its learner"
  on public.exercise_progress for select to authenticated
  using (learner_id = (select auth.uid()));

alter table public.lesson_device_time enable row level security;

create policy "Device time is visible to its learner"
  on public.lesson_device_time for select to authenticated
  using (learner_id = (select auth.uid()));

create policy "Visits are visible to their learner"
  on public.content_visits for select to authenticated
  using (learner_id = (select auth.uid()));
