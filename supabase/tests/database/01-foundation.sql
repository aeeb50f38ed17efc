-- The foundation: the Supabase roles and auth functions our policies rely on, the learners table
-- and its RLS, and who may call the service functions.
begin;
select plan(16);

select has_table('public', 'learners', 'learners table exists');
select is((select relrowsecurity from pg_class where oid = 'public.learners'::regclass), true,
  'RLS is enabled on learners');
select is((select rolsuper from pg_roles where rolname = 'postgres'), false,
  'postgres is not a superuser, as on Supabase');
select is((select rolbypassrls from pg_roles where rolname = 'service_role'), true,
  'service_role bypasses RLS');

select ok(not has_function_privilege('anon', 'public.register_browser_learner(uuid)', 'execute'),
  'anon cannot register learners directly');
select ok(not has_function_privilege('authenticated', 'public.register_browser_learner(uuid)', 'execute'),
  'authenticated cannot register learners directly');
select ok(has_function_privilege('service_role', 'public.register_browser_learner(uuid)', 'execute'),
  'the service role registers learners');

-- Default privileges: of every function the migrations define in public and private, anon and
-- authenticated may execute exactly the ones granted on purpose (and the service role all of
-- public's).
select is(
  (select coalesce(array_agg(format('%s.%s', n.nspname, p.proname) order by n.nspname, p.proname), '{}')
   from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname in ('public', 'private') and has_function_privilege('anon', p.oid, 'execute')),
  array['private.check_request', 'private.is_admin', 'private.is_instructor', 'public.lessons', 'public.published_catalog'],
  'anon may execute only PostgREST''s pre-request hook, the role checks policies use, the published catalog and seed 001''s lessons relation');
select is(
  (select coalesce(array_agg(format('%s.%s', n.nspname, p.proname) order by n.nspname, p.proname), '{}')
   from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname in ('public', 'private') and has_function_privilege('authenticated', p.oid, 'execute')),
  array['private.accessible_courses', 'private.check_request', 'private.course_accessible', 'private.is_admin', 'private.is_instructor',
        'public.check_achievements', 'public.course_insights', 'public.course_nudges', 'public.get_course_progress',
        'public.lessons', 'public.published_catalog'],
  'authenticated may execute only the pre-request hook, what policies use, the published catalog, seed 001''s own calls and insight');
select is_empty(
  $$select p.proname from pg_proc p where p.pronamespace = 'public'::regnamespace
    and not has_function_privilege('service_role', p.oid, 'execute')$$,
  'the service role may execute every public function');

-- Two learners; each sees only their own row.
insert into public.learners (id, kind) values
  ('11111111-1111-4111-8111-111111111111', 'browser'),
  ('22222222-2222-4222-8222-222222222222', 'account');

set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "11111111-1111-4111-8111-111111111111", "role": "authenticated"}', true);
select results_eq('select id::text from public.learners',
  array['11111111-1111-4111-8111-111111111111'], 'a learner sees only their own learner row');
select throws_ok(
  $$insert into public.learners (id, kind) values ('33333333-3333-4333-8333-333333333333', 'browser')$$,
  '42501', null, 'a learner cannot insert learner rows');
select throws_ok($$update public.learners set kind = 'account' where id = '22222222-2222-4222-8222-222222222222'$$,
  '42501', null, 'a learner may not update learner rows at all');
reset role;
select is((select kind from public.learners where id = '22222222-2222-4222-8222-222222222222'), 'account',
  'an update of another learner''s row changes nothing');

set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select is_empty('select * from public.learners', 'anon sees no learners');
reset role;

select throws_ok(
  $$select public.register_browser_learner('11111111-1111-4111-8111-111111111111')$$,
  'PT409', 'This learner id is already registered.', 'a registered id cannot be registered again');

select * from finish();
rollback;
