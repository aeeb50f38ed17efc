-- What anon, a learner, an instructor and an admin may do with every table straight through
-- PostgREST (as those roles, with their JWT claims), column by column where a column belongs to
-- the service: counters, ownership, roles, `source`. Each attempt is rolled back, so the rows
-- below run in any order. `done`: rows were read or written; `none`: RLS hid every row;
-- `denied`: refused (privilege or policy check); otherwise the SQLSTATE.
begin;
select plan(97);

create schema tap_attempts;
create function tap_attempts.attempt(statement text) returns text language plpgsql as $$
declare
  v_rows bigint;
begin
  begin
    execute statement;
    get diagnostics v_rows = row_count;
    raise sqlstate 'TAPOK' using message = v_rows::text;
  exception
    when sqlstate 'TAPOK' then return case when sqlerrm = '0' then 'none' else 'done' end;
    when insufficient_privilege then return 'denied';
    when others then return sqlstate;
  end;
end;
$$;
grant usage on schema tap_attempts to anon, authenticated;
grant execute on function tap_attempts.attempt(text) to anon, authenticated;

-- A catalog: a free course, a premium one, a draft; a learner with progress, another learner,
-- an instructor with a course of their own.
select public.import_catalog($json${"themes": [{"id": "a7000000-0000-4000-8000-000000000001", "slug": "priv-theme", "title": "T",
  "courses": [
    {"id": "c7000000-0000-4000-8000-000000000001", "slug": "priv-free", "title": "Free", "modules": [
      {"id": "d7000000-0000-4000-8000-000000000001", "slug": "m", "title": "M", "lessons": [
        {"id": "e7000000-0000-4000-8000-000000000001", "slug": "l", "title": "L"}]}]},
    {"id": "c7000000-0000-4000-8000-000000000002", "slug": "priv-premium", "title": "Premium", "premium": true},
    {"id": "c7000000-0000-4000-8000-000000000003", "slug": "priv-draft", "title": "Draft", "published": false}]}]}$json$::jsonb);
insert into auth.users (id, aud, role, email) values
  ('a7111111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'a@priv.test'),
  ('b7222222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'b@priv.test'),
  ('c7333333-3333-4333-8333-333333333333', 'authenticated', 'authenticated', 'i@priv.test'),
  ('d7444444-4444-4444-8444-444444444444', 'authenticated', 'authenticated', 'd@priv.test');
update public.profiles set role = 'instructor' where id = 'c7333333-3333-4333-8333-333333333333';
insert into public.courses (id, slug, title, instructor_id) values
  ('c7000000-0000-4000-8000-000000000004', 'priv-own', 'Own', 'c7333333-3333-4333-8333-333333333333');
select public.mark_lesson_complete('a7111111-1111-4111-8111-111111111111', 'account', 'e7000000-0000-4000-8000-000000000001');
select public.mark_lesson_complete('b7222222-2222-4222-8222-222222222222', 'account', 'e7000000-0000-4000-8000-000000000001');
select public.rate_course('a7111111-1111-4111-8111-111111111111', 'account', 'c7000000-0000-4000-8000-000000000001', 4);
-- Both learners' time on the lesson (seed 001), so that each has a device's last report.
select public.record_lesson_progress('a7111111-1111-4111-8111-111111111111', 'account', 'e7000000-0000-4000-8000-000000000001', null, 50, 30);
select public.record_lesson_progress('b7222222-2222-4222-8222-222222222222', 'account', 'e7000000-0000-4000-8000-000000000001', null, 50, 30);
insert into public.notifications (learner_id, type, title, message)
values ('a7111111-1111-4111-8111-111111111111', 'achievement', 'Hi', 'Hello');

create temporary table matrix (persona text, statement text, expected text, what text);
grant select on matrix to anon, authenticated;
insert into matrix values
  -- anon: the published catalog, instructors' public cards, ratings; nothing else, no writes.
  ('anon', $$select 1 from public.courses where slug = 'priv-free'$$, 'done', 'reads a published course'),
  ('anon', $$select 1 from public.courses where slug = 'priv-draft'$$, 'none', 'does not see a draft'),
  ('anon', $$select 1 from private.module_lesson_totals$$, 'denied', 'reads no catalog total'),
  ('anon', $$select private.count_added_or_removed_lessons()$$, 'denied', 'runs no counter trigger by hand'),
  ('anon', $$select private.merge_lesson_progress('[{"learner_id": "a7111111-1111-4111-8111-111111111111", "lesson_id": "e7000000-0000-4000-8000-000000000001"}]')$$, 'denied', 'merges no lesson row by hand'),
  ('anon', $$select private.record_activity('a7111111-1111-4111-8111-111111111111')$$, 'denied', 'records no day of activity by hand'),
  ('anon', $$select private.record_day_of_activity('a7111111-1111-4111-8111-111111111111')$$, 'denied', 'adds no streak day by hand'),
  ('anon', $$select private.record_device_time('a7111111-1111-4111-8111-111111111111', '{"(e7000000-0000-4000-8000-000000000001,x,60)"}')$$, 'denied', 'records no device time by hand'),
  ('anon', $$select private.take_learner_turn('a7111111-1111-4111-8111-111111111111')$$, 'denied', 'holds no learner''s turn'),
  ('anon', $$insert into public.themes (slug, title) values ('x', 'X')$$, 'denied', 'adds no theme'),
  ('anon', $$update public.courses set title = 'X'$$, 'denied', 'edits no course'),
  ('anon', $$select 1 from public.lesson_progress$$, 'none', 'reads no progress'),
  ('anon', $$select 1 from public.learners$$, 'none', 'lists no learners'),
  ('anon', $$select 1 from public.device_reports$$, 'none', 'reads no device''s last report'),
  ('anon', $$select 1 from public.idempotency_keys$$, 'none', 'reads no idempotency records'),
  ('anon', $$select role from public.profiles$$, 'denied', 'reads no roles'),
  ('anon', $$select id from public.profiles where id = 'a7111111-1111-4111-8111-111111111111'$$, 'none', 'does not see a learner''s profile (an account id)'),
  ('anon', $$select full_name from public.profiles where id = 'c7333333-3333-4333-8333-333333333333'$$, 'done', 'sees an instructor''s card'),
  ('anon', $$select 1 from public.course_ratings$$, 'done', 'reads ratings'),
  ('anon', $$insert into public.course_ratings (learner_id, course_id, rating) values ('a7111111-1111-4111-8111-111111111111', 'c7000000-0000-4000-8000-000000000004', 5)$$, 'denied', 'rates nothing'),
  -- a learner: their own rows; writes only their profile card, their ratings, read marks.
  ('learner', $$select 1 from public.lesson_progress where learner_id = 'a7111111-1111-4111-8111-111111111111'$$, 'done', 'reads their progress'),
  ('learner', $$select 1 from public.lesson_progress where learner_id = 'b7222222-2222-4222-8222-222222222222'$$, 'none', 'reads nobody else''s progress'),
  ('learner', $$insert into public.lesson_progress (learner_id, lesson_id) values ('a7111111-1111-4111-8111-111111111111', 'e7000000-0000-4000-8000-000000000001')$$, 'denied', 'writes no progress row'),
  ('learner', $$select 1 from private.learner_module_counts$$, 'denied', 'reads no roll-up counter'),
  ('learner', $$update private.learner_module_counts set completed = completed + 1$$, 'denied', 'moves no roll-up counter'),
  ('learner', $$update private.open_catalog_lessons set lessons = 1$$, 'denied', 'moves no catalog total'),
  ('learner', $$select private.count_added_or_removed_lessons()$$, 'denied', 'runs no counter trigger by hand'),
  ('learner', $$select private.merge_lesson_progress('[{"learner_id": "a7111111-1111-4111-8111-111111111111", "lesson_id": "e7000000-0000-4000-8000-000000000001", "completion_clock": "2026-01-01T00:00:00Z", "first_completed_at": "2026-01-01T00:00:00Z"}]')$$, 'denied', 'merges no lesson row of their own by hand'),
  ('learner', $$select private.merge_one_lesson(jsonb_populate_record(null::public.lesson_progress, '{"learner_id": "a7111111-1111-4111-8111-111111111111", "lesson_id": "e7000000-0000-4000-8000-000000000001"}'))$$, 'denied', 'merges no single row by key by hand'),
  ('learner', $$select private.record_activity('a7111111-1111-4111-8111-111111111111')$$, 'denied', 'records no day of activity of their own by hand'),
  ('learner', $$select private.record_day_of_activity('a7111111-1111-4111-8111-111111111111')$$, 'denied', 'adds no streak day of their own by hand'),
  ('learner', $$update public.lesson_progress set score = 100$$, 'denied', 'edits no progress row'),
  ('learner', $$select private.record_device_time('a7111111-1111-4111-8111-111111111111', '{"(e7000000-0000-4000-8000-000000000001,x,60)"}')$$, 'denied', 'records no device time of their own by hand'),
  ('learner', $$select private.learner_time_lock_key('b7222222-2222-4222-8222-222222222222')$$, 'denied', 'computes no learner''s time lock by hand'),
  ('learner', $$select private.take_learner_turn('b7222222-2222-4222-8222-222222222222')$$, 'denied', 'holds no other learner''s writes back'),
  ('learner', $$select private.document_version('b7222222-2222-4222-8222-222222222222', 'c7000000-0000-4000-8000-000000000001')$$, 'denied', 'reads no other learner''s document version'),
  ('learner', $$delete from public.lesson_progress$$, 'denied', 'deletes no progress row'),
  ('learner', $$insert into public.enrollments (learner_id, course_id, source) values ('a7111111-1111-4111-8111-111111111111', 'c7000000-0000-4000-8000-000000000002', 'explicit')$$, 'denied', 'enrolls in no premium course by hand'),
  ('learner', $$update public.enrollments set completed_at = now()$$, 'denied', 'completes no course by hand'),
  ('learner', $$insert into public.quiz_attempts (learner_id, course_id, quiz_key, score, max_score, passed) values ('a7111111-1111-4111-8111-111111111111', 'c7000000-0000-4000-8000-000000000001', 'q', 10, 10, true)$$, 'denied', 'records no quiz attempt'),
  ('learner', $$insert into public.certificates (learner_id, course_id, course_title, completed_at) values ('a7111111-1111-4111-8111-111111111111', 'c7000000-0000-4000-8000-000000000001', 'X', now())$$, 'denied', 'mints no certificate'),
  ('learner', $$update public.learners set points = 1000000$$, 'denied', 'sets no points'),
  ('learner', $$insert into public.user_achievements (learner_id, achievement_id) select 'a7111111-1111-4111-8111-111111111111', id from public.achievements limit 1$$, 'denied', 'awards no achievement'),
  ('learner', $$insert into public.achievements (title, criteria) values ('X', '{"type": "lessons_completed", "count": 1}')$$, 'denied', 'defines no achievement'),
  ('learner', $$insert into public.tutorial_chapter_counts (learner_id, course_id, chapters) values ('a7111111-1111-4111-8111-111111111111', 'c7000000-0000-4000-8000-000000000001', 1)$$, 'denied', 'declares no chapter count by hand'),
  ('learner', $$delete from public.progress_history$$, 'denied', 'erases no history by hand'),
  ('learner', $$update public.lesson_device_time set seconds = 86400$$, 'denied', 'reports no time by hand'),
  ('learner', $$select 1 from public.device_reports where learner_id = 'a7111111-1111-4111-8111-111111111111'$$, 'done', 'reads their devices'' last reports'),
  ('learner', $$select 1 from public.device_reports where learner_id = 'b7222222-2222-4222-8222-222222222222'$$, 'none', 'reads nobody else''s device reports'),
  ('learner', $$insert into public.device_reports (learner_id, device_id, reported_at) values ('a7111111-1111-4111-8111-111111111111', 'new', now() - interval '1 day')$$, 'denied', 'declares no device report by hand'),
  ('learner', $$update public.device_reports set reported_at = now() - interval '1 day'$$, 'denied', 'moves no device''s last report back'),
  ('learner', $$update public.profiles set full_name = 'Ada' where id = 'a7111111-1111-4111-8111-111111111111'$$, 'done', 'edits their name'),
  ('learner', $$update public.profiles set role = 'admin' where id = 'a7111111-1111-4111-8111-111111111111'$$, 'denied', 'never their role'),
  ('learner', $$update public.profiles set avatar_url = 'javascript:alert(1)' where id = 'a7111111-1111-4111-8111-111111111111'$$, '23514', 'no script as avatar'),
  ('learner', $$update public.profiles set full_name = '<b>x</b>' where id = 'a7111111-1111-4111-8111-111111111111'$$, '23514', 'no markup as name'),
  ('learner', $$update public.profiles set full_name = 'X' where id = 'b7222222-2222-4222-8222-222222222222'$$, 'none', 'edits nobody else''s profile'),
  ('learner', $$select role from public.profiles where id = 'a7111111-1111-4111-8111-111111111111'$$, 'done', 'reads their own role (seed 001''s middleware)'),
  ('learner', $$insert into public.course_ratings (learner_id, course_id, rating) values ('a7111111-1111-4111-8111-111111111111', 'c7000000-0000-4000-8000-000000000004', 5)$$, 'done', 'rates a free course'),
  ('learner', $$insert into public.course_ratings (learner_id, course_id, rating) values ('b7222222-2222-4222-8222-222222222222', 'c7000000-0000-4000-8000-000000000004', 5)$$, 'denied', 'rates as nobody else'),
  ('learner', $$insert into public.course_ratings (learner_id, course_id, rating) values ('a7111111-1111-4111-8111-111111111111', 'c7000000-0000-4000-8000-000000000002', 5)$$, 'denied', 'rates no premium course without an enrollment'),
  ('learner', $$update public.course_ratings set rating = 2 where learner_id = 'a7111111-1111-4111-8111-111111111111'$$, 'done', 'edits their rating'),
  ('learner', $$update public.course_ratings set course_id = 'c7000000-0000-4000-8000-000000000004'$$, 'denied', 'moves no rating to another course'),
  ('learner', $$update public.course_ratings set learner_id = 'b7222222-2222-4222-8222-222222222222'$$, 'denied', 'hands no rating to another learner'),
  ('learner', $$update public.notifications set read_at = now()$$, 'done', 'marks their notifications read'),
  ('learner', $$update public.notifications set title = 'X'$$, 'denied', 'rewrites no notification'),
  ('learner', $$insert into public.courses (slug, title, instructor_id) values ('x', 'X', 'a7111111-1111-4111-8111-111111111111')$$, 'denied', 'creates no course'),
  ('learner', $$update public.courses set title = 'X' where slug = 'priv-free'$$, 'none', 'edits no course'),
  -- an instructor: their own courses, never the columns the service keeps.
  ('instructor', $$insert into public.courses (slug, title, instructor_id) values ('mine', 'Mine', 'c7333333-3333-4333-8333-333333333333')$$, 'done', 'creates a course as themselves'),
  ('instructor', $$insert into public.courses (slug, title, instructor_id) values ('theirs', 'Theirs', 'a7111111-1111-4111-8111-111111111111')$$, 'denied', 'creates no course in another''s name'),
  ('instructor', $$insert into public.courses (slug, title, instructor_id, source, external_key) values ('squat', 'S', 'c7333333-3333-4333-8333-333333333333', 'tutorial', 'intro-video')$$, 'denied', 'squats no tutorial id'),
  ('instructor', $$update public.courses set title = 'Renamed' where slug = 'priv-own'$$, 'done', 'edits their course'),
  ('instructor', $$update public.courses set enrollment_count = 9999 where slug = 'priv-own'$$, 'denied', 'sets no enrollment count'),
  ('instructor', $$update public.courses set average_rating = 5 where slug = 'priv-own'$$, 'denied', 'sets no average rating'),
  ('instructor', $$update public.courses set rating_count = 9, rating_sum = 45 where slug = 'priv-own'$$, 'denied', 'sets no rating counters'),
  ('instructor', $$update public.courses set source = 'tutorial' where slug = 'priv-own'$$, 'denied', 'changes no course source'),
  ('instructor', $$update public.courses set instructor_id = 'a7111111-1111-4111-8111-111111111111' where slug = 'priv-own'$$, 'denied', 'hands no course to another'),
  ('instructor', $$update public.courses set title = 'X' where slug = 'priv-free'$$, 'none', 'edits no other course'),
  ('instructor', $$select 1 from public.courses where slug = 'priv-own'$$, 'done', 'sees their unpublished course'),
  ('instructor', $$insert into public.lessons (module_id, slug, title) values ('d7000000-0000-4000-8000-000000000001', 'x', 'X')$$, 'denied', 'writes lessons only through the catalog import'),
  ('instructor', $$delete from public.lesson_progress$$, 'denied', 'deletes no progress row, so moves no counter'),
  ('instructor', $$delete from public.device_reports$$, 'denied', 'deletes no device''s last report, so reopens no time'),
  ('instructor', $$select private.count_added_or_removed_lessons()$$, 'denied', 'runs no counter trigger by hand'),
  ('instructor', $$select private.merge_lesson_rows('[{"learner_id": "a7111111-1111-4111-8111-111111111111", "lesson_id": "e7000000-0000-4000-8000-000000000001"}]')$$, 'denied', 'merges no document''s rows by hand'),
  ('instructor', $$select private.record_activity('a7111111-1111-4111-8111-111111111111')$$, 'denied', 'records no day of activity for a learner by hand'),
  ('instructor', $$select private.take_learner_turn('a7111111-1111-4111-8111-111111111111')$$, 'denied', 'holds no learner''s writes back'),
  ('instructor', $$select private.record_device_time('a7111111-1111-4111-8111-111111111111', '{"(e7000000-0000-4000-8000-000000000001,x,60)"}')$$, 'denied', 'records no device time for a learner by hand'),
  ('instructor', $$select private.record_day_of_activity('a7111111-1111-4111-8111-111111111111')$$, 'denied', 'adds no streak day to a learner by hand'),
  -- an admin: the catalog, never the counters, never anyone's progress.
  ('admin', $$update public.courses set title = 'Renamed' where slug = 'priv-free'$$, 'done', 'edits any course'),
  ('admin', $$insert into public.themes (slug, title) values ('admin-theme', 'A')$$, 'done', 'adds a theme'),
  ('admin', $$select 1 from public.courses where slug = 'priv-draft'$$, 'done', 'sees drafts'),
  ('admin', $$update public.courses set enrollment_count = 9999 where slug = 'priv-free'$$, 'denied', 'sets no counters either'),
  ('admin', $$insert into public.achievements (title, criteria) values ('X', '{"type": "lessons_completed", "count": 1}')$$, 'done', 'defines achievements'),
  ('admin', $$select 1 from public.lesson_progress$$, 'none', 'reads no learner''s progress through PostgREST');

set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select is(tap_attempts.attempt(statement), expected, 'anon ' || what) from matrix where persona = 'anon';
reset role;

set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "a7111111-1111-4111-8111-111111111111", "role": "authenticated"}', true);
select is(tap_attempts.attempt(statement), expected, 'a learner ' || what) from matrix where persona = 'learner';
select set_config('request.jwt.claims', '{"sub": "c7333333-3333-4333-8333-333333333333", "role": "authenticated"}', true);
select is(tap_attempts.attempt(statement), expected, 'an instructor ' || what) from matrix where persona = 'instructor';
select set_config('request.jwt.claims',
  '{"sub": "d7444444-4444-4444-8444-444444444444", "role": "authenticated", "app_metadata": {"role": "admin"}}', true);
select is(tap_attempts.attempt(statement), expected, 'an admin ' || what) from matrix where persona = 'admin';
reset role;

-- PostgREST's pre-request hook: named for the authenticator; it refuses the service role's call
-- that names a learner who may not act, and ignores the same header from anyone else.
select is((select setting from pg_db_role_setting s, unnest(s.setconfig) setting
           where s.setrole = 'authenticator'::regrole and setting like 'pgrst.db_pre_request=%'),
          'pgrst.db_pre_request=private.check_request', 'PostgREST runs private.check_request before every call');
select set_config('request.headers', '{"x-learner-check": "account:00000000-0000-0000-0000-000000000000"}', true);
set local role service_role;
select throws_ok('select private.check_request()', 'PT401', 'This account no longer exists.',
                 'the service''s call naming a deleted account is refused');
reset role;
set local role anon;
select lives_ok('select private.check_request()', 'anon''s header is ignored');
reset role;
set local role authenticated;
select lives_ok('select private.check_request()', 'a learner''s header is ignored');
reset role;

select * from finish();
rollback;
