-- Benchmark dataset, built in SQL (never through the API). psql variables:
--   learners, courses, lessons (per course, in modules of 10), courses_per_learner,
--   lessons_per_course_done (completed lessons per learner and course).
-- Ids are md5-derived so that load scripts can name any learner, course or lesson by number.
\set ON_ERROR_STOP on
begin;
set local synchronous_commit = off;

insert into public.themes (id, slug, title) values (md5('bench-theme')::uuid, 'bench', 'Benchmark')
on conflict do nothing;

insert into public.courses (id, theme_id, slug, title, position)
select md5('bench-course-' || c)::uuid, md5('bench-theme')::uuid, 'bench-course-' || c, 'Bench course ' || c, c
from generate_series(1, :courses) c;

insert into public.modules (id, course_id, slug, title, position)
select md5('bench-module-' || c || '-' || m)::uuid, md5('bench-course-' || c)::uuid, 'm' || m, 'Module ' || m, m
from generate_series(1, :courses) c, generate_series(1, (:lessons + 9) / 10) m;

insert into public.lessons (id, module_id, slug, title, position, duration_seconds)
select md5('bench-lesson-' || c || '-' || l)::uuid, md5('bench-module-' || c || '-' || ((l - 1) / 10 + 1))::uuid,
       'l' || l, 'Lesson ' || l, l, 600
from generate_series(1, :courses) c, generate_series(1, :lessons) l;

-- Signed-in learners (Supabase Auth users, whose learner rows their sign-up makes), as the
-- bench's tokens say: the API checks that a token's account exists.
insert into auth.users (id, aud, role, email)
select md5('bench-learner-' || n)::uuid, 'authenticated', 'authenticated', 'bench-' || n || '@bench.test'
from generate_series(1, :learners) n;
insert into public.learners (id, kind)
select md5('bench-learner-' || n)::uuid, 'account' from generate_series(1, :learners) n
on conflict (id) do nothing;

-- Each learner takes courses_per_learner courses (spread over the catalog) ...
create temporary table bench_taking as
select n, ((n + k * 7) % :courses) + 1 as c
from generate_series(1, :learners) n, generate_series(0, :courses_per_learner - 1) k;

insert into public.enrollments (learner_id, course_id, source, progress_percentage)
select md5('bench-learner-' || n)::uuid, md5('bench-course-' || c)::uuid, 'progress',
       100 * :lessons_per_course_done / :lessons
from bench_taking on conflict do nothing;

-- ... and has completed the first lessons_per_course_done lessons of each. A bulk load: the
-- per-row counter trigger is off, and the catalog's recount (below) makes the counters once.
alter table public.lesson_progress disable trigger lesson_progress_counts_insert;
insert into public.lesson_progress (learner_id, lesson_id, status, completed_at, first_completed_at,
  completion_clock, progress_percentage, time_spent_seconds, watch_seconds, last_accessed_at)
select md5('bench-learner-' || n)::uuid, md5('bench-lesson-' || c || '-' || l)::uuid, 'completed',
       now() - make_interval(mins => l), now() - make_interval(mins => l), now() - make_interval(mins => l),
       100, 300, 300, now() - make_interval(mins => l)
from bench_taking, generate_series(1, :lessons_per_course_done) l
on conflict do nothing;
alter table public.lesson_progress enable trigger lesson_progress_counts_insert;
select private.refresh_course_totals(id) from public.courses;

insert into public.course_documents (learner_id, course_id, last_lesson_id, last_lesson_clock)
select md5('bench-learner-' || n)::uuid, md5('bench-course-' || c)::uuid,
       md5('bench-lesson-' || c || '-' || :lessons_per_course_done)::uuid, now()
from bench_taking on conflict do nothing;

insert into public.quiz_attempts (learner_id, course_id, quiz_key, score, max_score, passed)
select md5('bench-learner-' || n)::uuid, md5('bench-course-' || c)::uuid, 'final', 8, 10, true
from bench_taking;

commit;
vacuum analyze public.lessons, public.modules, public.courses, public.learners, public.lesson_progress, public.enrollments,
  public.course_documents, public.quiz_attempts, private.learner_module_counts, private.module_lesson_totals,
  private.open_catalog_lessons;
