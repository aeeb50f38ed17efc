-- Instructor insight straight through PostgREST: an instructor reads their own course's figures,
-- an admin any course's, another instructor and a learner none, and nobody in another's name.
begin;
select plan(8);

select public.import_catalog($json${"themes": [{"id": "a8000000-0000-4000-8000-000000000001", "slug": "insight-theme", "title": "T",
  "courses": [{"id": "c8800000-0000-4000-8000-000000000001", "slug": "insight-course", "title": "C", "modules": [
    {"id": "d8800000-0000-4000-8000-000000000001", "slug": "m", "title": "M", "lessons": [
      {"id": "e8800000-0000-4000-8000-000000000001", "slug": "l", "title": "L"}]}]}]}]}$json$::jsonb);
insert into auth.users (id, aud, role, email) values
  ('a8811111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'teacher@insight.test'),
  ('b8822222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'other@insight.test'),
  ('c8833333-3333-4333-8333-333333333333', 'authenticated', 'authenticated', 'learner@insight.test'),
  ('d8844444-4444-4444-8444-444444444444', 'authenticated', 'authenticated', 'admin@insight.test');
update public.profiles set role = 'instructor' where id in ('a8811111-1111-4111-8111-111111111111', 'b8822222-2222-4222-8222-222222222222');
update public.profiles set role = 'admin' where id = 'd8844444-4444-4444-8444-444444444444';
update public.courses set instructor_id = 'a8811111-1111-4111-8111-111111111111' where id = 'c8800000-0000-4000-8000-000000000001';
select public.mark_lesson_complete('c8833333-3333-4333-8333-333333333333', 'account', 'e8800000-0000-4000-8000-000000000001');

set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "a8811111-1111-4111-8111-111111111111", "role": "authenticated"}', true);
select is((public.course_insights('a8811111-1111-4111-8111-111111111111', 'c8800000-0000-4000-8000-000000000001') -> 'funnel' ->> 'completed')::int,
  1, 'the instructor reads their course''s figures');
select is((select count(*)::int from public.course_nudges('a8811111-1111-4111-8111-111111111111', 'c8800000-0000-4000-8000-000000000001', 1)),
  0, 'and its nudges (nobody inactive yet)');
select throws_ok($$select public.course_insights('b8822222-2222-4222-8222-222222222222', 'c8800000-0000-4000-8000-000000000001')$$,
  'PT403', null, 'never in another''s name');

select set_config('request.jwt.claims', '{"sub": "b8822222-2222-4222-8222-222222222222", "role": "authenticated"}', true);
select throws_ok($$select public.course_insights('b8822222-2222-4222-8222-222222222222', 'c8800000-0000-4000-8000-000000000001')$$,
  'PT403', null, 'another instructor reads nothing of it');
select throws_ok($$select * from public.course_nudges('b8822222-2222-4222-8222-222222222222', 'c8800000-0000-4000-8000-000000000001')$$,
  'PT403', null, 'nor its nudges');

select set_config('request.jwt.claims', '{"sub": "c8833333-3333-4333-8333-333333333333", "role": "authenticated"}', true);
select throws_ok($$select public.course_insights('c8833333-3333-4333-8333-333333333333', 'c8800000-0000-4000-8000-000000000001')$$,
  'PT403', null, 'a learner reads none');

select set_config('request.jwt.claims', '{"sub": "d8844444-4444-4444-8444-444444444444", "role": "authenticated"}', true);
select lives_ok($$select public.course_insights('d8844444-4444-4444-8444-444444444444', 'c8800000-0000-4000-8000-000000000001')$$,
  'an admin reads any course''s');
reset role;

set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select throws_ok($$select public.course_insights('a8811111-1111-4111-8111-111111111111', 'c8800000-0000-4000-8000-000000000001')$$,
  '42501', null, 'anon cannot call it at all');
reset role;

select * from finish();
rollback;
