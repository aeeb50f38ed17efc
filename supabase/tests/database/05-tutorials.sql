-- Seed 002's functions: unknown tutorials keep the client's chapter count, quiz attempts replay
-- by key, certificates are issued once and verifiable.
begin;
select plan(9);

select is((public.record_chapter('77777777-7777-4777-8777-777777777777', 'browser', 'tap-tutorial', 'c1', 300, true, null, 4)
  ->> 'completionPercentage')::int, 25, 'an unknown tutorial counts the client''s chapters');
select is((public.record_chapter('77777777-7777-4777-8777-777777777777', 'browser', 'tap-tutorial', 'c2', 10, false, null, 2)
  ->> 'totalChapters')::int, 4, 'the chapter count never decreases');
select is((select source from public.courses where external_key = 'tap-tutorial'), 'tutorial',
  'the tutorial has a course of its own');
select ok(not exists (select 1 from public.lesson_catalog lc join public.courses c on c.id = lc.course_id
  where c.external_key = 'tap-tutorial' and lc.counts), 'its chapters never count in the catalog''s denominators');

select public.record_tutorial_quiz_attempt('77777777-7777-4777-8777-777777777777', 'browser', 'tap-tutorial', 'q1', 8, 10, 'k1', 'f1');
select public.record_tutorial_quiz_attempt('77777777-7777-4777-8777-777777777777', 'browser', 'tap-tutorial', 'q1', 8, 10, 'k1', 'f1');
select is((select count(*)::int from public.quiz_attempts where learner_id = '77777777-7777-4777-8777-777777777777'), 1,
  'a retry with the same key counts once');
select throws_ok($$select public.record_tutorial_quiz_attempt('77777777-7777-4777-8777-777777777777', 'browser', 'tap-tutorial', 'q1', 9, 10, 'k1', 'f2')$$,
  'PT422', null, 'the same key for another request is refused');

select throws_ok($$select public.complete_tutorial('77777777-7777-4777-8777-777777777777', 'tap-tutorial')$$,
  'PT400', 'Not eligible for certificate.', 'not eligible below 95 %');
select public.record_chapter('77777777-7777-4777-8777-777777777777', 'browser', 'tap-tutorial', c, 1, true)
from unnest(array['c2', 'c3', 'c4']) c;
select set_config('tap.certificate',
  public.complete_tutorial('77777777-7777-4777-8777-777777777777', 'tap-tutorial') ->> 'certificateId', true);
select is(public.verify_certificate(current_setting('tap.certificate')::uuid) ->> 'status',
  'self-declared', 'completing a tutorial the catalog does not know issues a certificate that says it is self-declared');
select ok(not has_function_privilege('anon', 'public.verify_certificate(uuid)', 'execute'),
  'verification goes through the service, not straight to PostgREST');

select * from finish();
rollback;
