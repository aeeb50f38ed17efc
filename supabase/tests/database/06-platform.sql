-- Seed 001: profile trigger, role policies (student, instructor, admin, anon), counters kept by
-- triggers, achievements awarded once.
begin;
select plan(18);

insert into auth.users (id, email, raw_user_meta_data) values
  ('81111111-1111-4111-8111-111111111111', 's@example.test', '{"username": "student_one", "full_name": "Stu Dent"}'),
  ('82222222-2222-4222-8222-222222222222', 'i@example.test', '{"username": "teacher_one"}'),
  ('83333333-3333-4333-8333-333333333333', 'a@example.test', '{"username": "admin_one"}');
update public.profiles set role = 'instructor' where id = '82222222-2222-4222-8222-222222222222';
update public.profiles set role = 'admin' where id = '83333333-3333-4333-8333-333333333333';
insert into public.courses (id, slug, title, instructor_id, published) values
  ('c8000000-0000-4000-8000-000000000001', 'teacher-course', 'Teacher', '82222222-2222-4222-8222-222222222222', true);

select is((select full_name from public.profiles where id = '81111111-1111-4111-8111-111111111111'), 'Stu Dent',
  'a profile is created with the auth user');
select ok(exists (select 1 from public.learners where id = '81111111-1111-4111-8111-111111111111' and kind = 'account'),
  'and a learner');

-- A student: reads profiles, edits only their own, cannot promote themselves or touch courses.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "81111111-1111-4111-8111-111111111111", "role": "authenticated"}', true);
select isnt_empty('select 1 from public.profiles', 'a student reads public profiles');
select lives_ok($$update public.profiles set full_name = 'S. Dent' where id = '81111111-1111-4111-8111-111111111111'$$,
  'a student edits their own profile');
select throws_ok($$update public.profiles set role = 'admin' where id = '81111111-1111-4111-8111-111111111111'$$,
  '42501', null, 'a student cannot change their own role');
update public.courses set title = 'Hijacked' where id = 'c8000000-0000-4000-8000-000000000001';
select throws_ok($$insert into public.courses (slug, title, instructor_id) values ('s', 'S', '81111111-1111-4111-8111-111111111111')$$,
  '42501', null, 'a student cannot create courses');
reset role;
select is((select title from public.courses where id = 'c8000000-0000-4000-8000-000000000001'), 'Teacher',
  'a student''s course update changes nothing');

-- The instructor edits their course; the admin edits any.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "82222222-2222-4222-8222-222222222222", "role": "authenticated"}', true);
select lives_ok($$update public.courses set title = 'Teacher 2' where id = 'c8000000-0000-4000-8000-000000000001'$$,
  'an instructor edits their own course');
select lives_ok($$insert into public.courses (slug, title, instructor_id) values ('teacher-new', 'New', '82222222-2222-4222-8222-222222222222')$$,
  'an instructor creates a course as themselves');
select set_config('request.jwt.claims', '{"sub": "83333333-3333-4333-8333-333333333333", "role": "authenticated"}', true);
select lives_ok($$update public.courses set title = 'Admin edit' where id = 'c8000000-0000-4000-8000-000000000001'$$,
  'an admin edits any course');
reset role;
select is((select title from public.courses where id = 'c8000000-0000-4000-8000-000000000001'), 'Admin edit', 'the edits are stored');

set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select is_empty('select 1 from public.notifications', 'anon sees no notifications');
reset role;

-- Counters and achievements.
insert into public.enrollments (learner_id, course_id, source) values
  ('81111111-1111-4111-8111-111111111111', 'c8000000-0000-4000-8000-000000000001', 'explicit');
select is((select enrollment_count from public.courses where id = 'c8000000-0000-4000-8000-000000000001'), 1,
  'an enrollment moves the count');
insert into public.achievements (title, points_value, criteria) values ('Enrolled once', 5, '{"type": "lessons_completed", "count": 0}');
-- Seed 001 calls it with the signed-in user's session, straight through PostgREST.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "81111111-1111-4111-8111-111111111111", "role": "authenticated"}', true);
select lives_ok($$select public.check_achievements('81111111-1111-4111-8111-111111111111')$$,
  'a learner checks their own achievements');
select throws_ok($$select public.check_achievements('82222222-2222-4222-8222-222222222222')$$, 'PT403', null,
  'and nobody else''s');
select is(public.get_course_progress('81111111-1111-4111-8111-111111111111', 'c8000000-0000-4000-8000-000000000001') ?& array['total_lessons', 'completed_lessons'],
  true, 'get_course_progress answers the counts seed 001 reads');
select throws_ok($$select public.get_course_progress('82222222-2222-4222-8222-222222222222', 'c8000000-0000-4000-8000-000000000001')$$,
  'PT403', null, 'for the caller''s own id only');
reset role;
select public.check_achievements('81111111-1111-4111-8111-111111111111');
select is((select count(*)::int from public.user_achievements ua join public.achievements a on a.id = ua.achievement_id
           where ua.learner_id = '81111111-1111-4111-8111-111111111111' and a.title = 'Enrolled once'), 1,
  'check_achievements awards once however often it runs');

select * from finish();
rollback;
