-- What each learner has done: one row per (learner, lesson) that every contract reads and
-- writes, exercise results, device time, visits to modules / courses / themes, enrollments,
-- activity days, seed 000's documents and their history, quiz attempts and certificates.
-- Owns: those tables, their indexes and RLS (learners read their own rows).
-- Relies on: foundation (learners), catalog.
-- Only the service's functions write here; nobody writes these tables straight through PostgREST.

/** Section - Tables */
create table public.enrollments (
  learner_id uuid not null references public.learners (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  -- explicit: the learner (or, for premium courses, the platform) enrolled; progress: a free
  -- course enrolled on the learner's first progress in it.
  source text not null check (source in ('explicit', 'progress')),
  enrolled_at timestamptz not null default now(),
  -- The course roll-up, kept by private.after_progress in every progress write (seed 001).
  progress_percentage integer not null default 0 check (progress_percentage between 0 and 100),
  completed_at timestamptz,
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
  -- Seconds are numeric (milliseconds kept exactly): players and timers report fractions, and
  -- sums over devices and retries never drift.
  time_spent_seconds numeric not null default 0 check (time_spent_seconds >= 0),
  -- Video chapters (seed 002): watch time never decreases; the position is where to resume.
  watch_seconds numeric not null default 0 check (watch_seconds >= 0),
  last_position_seconds numeric check (last_position_seconds >= 0),
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
  seconds numeric not null check (seconds >= 0 and seconds = round(seconds, 3)),
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

-- A streak counts consecutive days with progress, in the learner's time zone.
create table public.learner_activity_days (
  learner_id uuid not null references public.learners (id) on delete cascade,
  day date not null,
  primary key (learner_id, day)
);

-- Seed 000: the last lesson opened per course (the rest of a document is the lesson rows).
create table public.course_documents (
  learner_id uuid not null references public.learners (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  last_lesson_id uuid references public.lessons (id) on delete set null,
  -- The client time of the save that set last_lesson_id: the newest wins.
  last_lesson_clock timestamptz,
  updated_at timestamptz not null default now(),
  primary key (learner_id, course_id)
);

create table public.progress_history (
  id bigint generated always as identity primary key,
  learner_id uuid not null references public.learners (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  device_id text,
  before jsonb,
  incoming jsonb not null,
  after jsonb not null,
  created_at timestamptz not null default now()
);

create table public.quiz_attempts (
  id bigint generated always as identity primary key,
  learner_id uuid not null references public.learners (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  -- The catalog's quiz when it knows it; quiz_key is the client's quiz id either way.
  exercise_id uuid references public.exercises (id) on delete set null,
  lesson_id uuid references public.lessons (id) on delete set null,
  quiz_key text not null check (char_length(quiz_key) between 1 and 255),
  score integer not null check (score >= 0),
  max_score integer not null check (max_score > 0),
  passed boolean not null,
  answers jsonb,
  time_taken_seconds integer check (time_taken_seconds >= 0),
  -- Attempts before a reset stay in the history but no longer count.
  archived boolean not null default false,
  created_at timestamptz not null default now(),
  check (score <= max_score)
);

create table public.certificates (
  -- The verification id: random, unguessable, stable.
  id uuid primary key default gen_random_uuid(),
  -- Null once its holder's data was erased at their request (holder_erased_at): the certificate
  -- stays verifiable as issued, without the holder.
  learner_id uuid references public.learners (id) on delete set null,
  course_id uuid not null references public.courses (id) on delete cascade,
  learner_name text,
  course_title text not null,
  completed_at timestamptz not null,
  issued_at timestamptz not null default now(),
  revoked_at timestamptz,
  holder_erased_at timestamptz,
  unique (learner_id, course_id),
  check ((learner_id is null) = (holder_erased_at is not null))
);

-- Seed 002: how many chapters a learner says a tutorial unknown to the catalog has. Per learner:
-- one learner's count never changes another's percentage or eligibility.
create table public.tutorial_chapter_counts (
  learner_id uuid not null references public.learners (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  chapters integer not null check (chapters between 0 and 10000),
  primary key (learner_id, course_id)
);

/** Section - Indexes */
create index enrollments_course_id on public.enrollments (course_id);
create index lesson_progress_lesson_id on public.lesson_progress (lesson_id);
create index lesson_progress_recent on public.lesson_progress (learner_id, last_accessed_at desc);
create index exercise_progress_exercise_id on public.exercise_progress (exercise_id);
create index progress_history_learner_course on public.progress_history (learner_id, course_id, created_at desc);
create index progress_history_created_at on public.progress_history (created_at);
create index quiz_attempts_learner_course on public.quiz_attempts (learner_id, course_id, quiz_key) where not archived;
-- The achievement check counts a learner's passed quizzes, archived or not.
create index quiz_attempts_learner_passed on public.quiz_attempts (learner_id) where passed;
create index quiz_attempts_exercise_id on public.quiz_attempts (exercise_id);
create index quiz_attempts_lesson_id on public.quiz_attempts (lesson_id);
create index certificates_course_id on public.certificates (course_id);

/** Section - Triggers */
create trigger lesson_progress_updated_at before update on public.lesson_progress
  for each row execute function private.touch_updated_at();
create trigger exercise_progress_updated_at before update on public.exercise_progress
  for each row execute function private.touch_updated_at();

/** Section - RLS Policies */
alter table public.enrollments enable row level security;
alter table public.lesson_progress enable row level security;
alter table public.exercise_progress enable row level security;
alter table public.lesson_device_time enable row level security;
alter table public.content_visits enable row level security;
alter table public.learner_activity_days enable row level security;
alter table public.course_documents enable row level security;
alter table public.progress_history enable row level security;
alter table public.quiz_attempts enable row level security;
alter table public.certificates enable row level security;
alter table public.tutorial_chapter_counts enable row level security;

create policy "Enrollments are visible to their learner"
  on public.enrollments for select to authenticated
  using (learner_id = (select auth.uid()));
create policy "Lesson progress is visible to its learner"
  on public.lesson_progress for select to authenticated
  using (learner_id = (select auth.uid()));
create policy "Exercise progress is visible to its learner"
  on public.exercise_progress for select to authenticated
  using (learner_id = (select auth.uid()));
create policy "Device time is visible to its learner"
  on public.lesson_device_time for select to authenticated
  using (learner_id = (select auth.uid()));
create policy "Visits are visible to their learner"
  on public.content_visits for select to authenticated
  using (learner_id = (select auth.uid()));
create policy "Activity days are visible to their learner"
  on public.learner_activity_days for select to authenticated using (learner_id = (select auth.uid()));
create policy "Documents are visible to their learner"
  on public.course_documents for select to authenticated
  using (learner_id = (select auth.uid()));
create policy "Save history is visible to its learner"
  on public.progress_history for select to authenticated
  using (learner_id = (select auth.uid()));
create policy "Quiz attempts are visible to their learner"
  on public.quiz_attempts for select to authenticated
  using (learner_id = (select auth.uid()));
create policy "Certificates are visible to their learner"
  on public.certificates for select to authenticated
  using (learner_id = (select auth.uid()));
create policy "Chapter counts are visible to their learner"
  on public.tutorial_chapter_counts for select to authenticated
  using (learner_id = (select auth.uid()));

/** Section - Access */

-- The one premium rule: the courses a learner may use are the published ones that are free, or
-- that they are enrolled in. SQL-standard bodies: in a FROM clause the planner inlines it (a
-- query over many courses reads it as a filter, a query for one course as a key lookup).
create or replace function private.accessible_courses(p_learner_id uuid)
returns setof uuid
language sql
stable
begin atomic
  select c.id from public.courses c
  where c.published
    and (not c.is_premium or exists (
      select 1 from public.enrollments e where e.learner_id = p_learner_id and e.course_id = c.id));
end;

create or replace function private.course_accessible(p_learner_id uuid, p_course_id uuid)
returns boolean
language sql
stable
begin atomic
  select exists (select 1 from private.accessible_courses(p_learner_id) a where a = p_course_id);
end;
-- Ratings' RLS policies call it as the learner (who sees their own enrollments only).
grant execute on function private.accessible_courses(uuid), private.course_accessible(uuid, uuid) to authenticated;

/** Section - Column privileges */
-- Only the service's functions write progress; a learner reads their own rows (RLS above).
revoke insert, update, delete on public.enrollments, public.lesson_progress, public.exercise_progress,
  public.lesson_device_time, public.content_visits, public.learner_activity_days, public.course_documents,
  public.progress_history, public.quiz_attempts, public.certificates, public.tutorial_chapter_counts
  from anon, authenticated;
