-- The catalog is readable when published (anon key included) and writable only by the service
-- role and admins; progress rows are visible to their learner only and written by no learner.
begin;
select plan(18);

select ok(bool_and(relrowsecurity), 'RLS is enabled on every table in public')
from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r';

-- A published course with one published and one unpublished lesson; an unpublished course.
insert into public.themes (id, slug, title) values ('a0000000-0000-4000-8000-000000000001', 'rls-theme', 'RLS');
insert into public.courses (id, theme_id, slug, title, published) values
  ('c0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'rls-open', 'Open', true),
  ('c0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'rls-draft', 'Draft', false);
insert into public.modules (id, course_id, slug, title) values
  ('d0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'm', 'M'),
  ('d0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000002', 'm', 'M');
insert into public.lessons (id, module_id, slug, title, published) values
  ('e0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000001', 'a', 'A', true),
  ('e0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-000000000001', 'b', 'B', false),
  ('e0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-000000000002', 'c', 'C', true);
insert into public.learners (id, kind) values
  ('11111111-1111-4111-8111-111111111111', 'browser'),
  ('22222222-2222-4222-8222-222222222222', 'account');
insert into public.lesson_progress (learner_id, lesson_id, status, completed_at, progress_percentage) values
  ('11111111-1111-4111-8111-111111111111', 'e0000000-0000-4000-8000-000000000001', 'completed', now(), 100),
  ('22222222-2222-4222-8222-222222222222', 'e0000000-0000-4000-8000-000000000001', 'in-progress', null, 10);
insert into public.enrollments (learner_id, course_id, source) values
  ('22222222-2222-4222-8222-222222222222', 'c0000000-0000-4000-8000-000000000001', 'explicit');

-- anon: the published catalog only, no progress.
set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select results_eq($$select id::text from public.lessons where id::text like 'e0000000%' order by id$$,
  array['e0000000-0000-4000-8000-000000000001'], 'anon sees published lessons of published courses only');
select is_empty($$select 1 from public.courses where slug = 'rls-draft'$$, 'anon does not see unpublished courses');
select is_empty('select 1 from public.lesson_progress', 'anon sees no progress');
select throws_ok($$insert into public.themes (slug, title) values ('x', 'X')$$, '42501', null,
  'anon cannot add to the catalog');
reset role;

-- A learner: their own progress, the published catalog, no writes.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "11111111-1111-4111-8111-111111111111", "role": "authenticated"}', true);
select results_eq('select learner_id::text from public.lesson_progress',
  array['11111111-1111-4111-8111-111111111111'], 'a learner sees only their own lesson progress');
select is_empty('select 1 from public.enrollments', 'a learner does not see another learner''s enrollment');
select is_empty($$select 1 from public.lessons where id = 'e0000000-0000-4000-8000-000000000003'$$,
  'a learner does not see lessons of unpublished courses');
select throws_ok($$insert into public.lesson_progress (learner_id, lesson_id) values
  ('11111111-1111-4111-8111-111111111111', 'e0000000-0000-4000-8000-000000000001')$$, '42501', null,
  'a learner cannot write progress rows directly');
select throws_ok($$insert into public.courses (slug, title) values ('mine', 'Mine')$$, '42501', null,
  'a learner cannot add courses');
update public.courses set title = 'Hacked' where slug = 'rls-open';
select throws_ok($$delete from public.lesson_progress where learner_id = '22222222-2222-4222-8222-222222222222'$$,
  '42501', null, 'a learner may not delete progress rows at all');
reset role;
select is((select title from public.courses where slug = 'rls-open'), 'Open',
  'a learner''s update of a course changes nothing');
select is((select count(*)::int from public.lesson_progress where learner_id = '22222222-2222-4222-8222-222222222222'), 1,
  'a learner''s delete of another learner''s progress changes nothing');

-- An admin (app_metadata.role = admin) manages the catalog.
set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub": "33333333-3333-4333-8333-333333333333", "role": "authenticated", "app_metadata": {"role": "admin"}}', true);
select lives_ok($$update public.courses set title = 'Renamed' where slug = 'rls-open'$$, 'an admin edits a course');
select isnt_empty($$select 1 from public.courses where slug = 'rls-draft'$$, 'an admin sees unpublished courses');
reset role;
select is((select title from public.courses where slug = 'rls-open'), 'Renamed', 'the admin''s edit is stored');

select ok(not has_function_privilege('authenticated', 'public.mark_lesson_complete(uuid, text, uuid, timestamptz)', 'execute'),
  'learners cannot call the service''s write functions with someone else''s id');
select ok(not has_function_privilege('anon', 'public.import_catalog(jsonb)', 'execute'),
  'anon cannot import a catalog');

select * from finish();
rollback;
