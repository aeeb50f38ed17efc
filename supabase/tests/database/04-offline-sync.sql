-- Seed 000's merge, called as the service calls it: idempotent, clocks decide completion,
-- device counters add up, history recorded, claim once.
begin;
select plan(15);

select public.import_catalog($json${"themes": [{"id": "a4000000-0000-4000-8000-000000000001", "slug": "sync-theme", "title": "T",
  "courses": [{"id": "c4000000-0000-4000-8000-000000000001", "slug": "sync-course", "title": "C", "modules": [
    {"id": "d4000000-0000-4000-8000-000000000001", "slug": "m1", "title": "M1", "lessons": [
      {"id": "e4000000-0000-4000-8000-000000000001", "slug": "l1", "title": "L1"},
      {"id": "e4000000-0000-4000-8000-000000000002", "slug": "l2", "title": "L2"}]}]}]}]}$json$::jsonb);

create temporary table saves as select * from (values
  ('{"version": 2, "completedLessonIds": ["e4000000-0000-4000-8000-000000000001"], "completedAt": {"e4000000-0000-4000-8000-000000000001": "2026-01-01T10:00:00Z"}, "lessonTimes": {"e4000000-0000-4000-8000-000000000001": 60}}'::jsonb, 'laptop'),
  ('{"version": 2, "unmarkedAt": {"e4000000-0000-4000-8000-000000000001": "2026-01-01T11:00:00Z"}, "lessonTimes": {"e4000000-0000-4000-8000-000000000001": 40}}'::jsonb, 'phone')
) s(progress, device);

select public.save_progress_document('44444444-4444-4444-8444-444444444444', 'browser', 'c4000000-0000-4000-8000-000000000001',
  progress, null, device) from saves;
select is(public.get_progress_document('44444444-4444-4444-8444-444444444444', 'c4000000-0000-4000-8000-000000000001') -> 'progress' -> 'completedLessonIds',
  '[]'::jsonb, 'a later unmark beats an older completion');
select is((public.get_progress_document('44444444-4444-4444-8444-444444444444', 'c4000000-0000-4000-8000-000000000001') -> 'progress' ->> 'timeSpentSeconds')::int,
  100, 'time from two devices adds up');

-- The same saves again, in the other order, for another learner: the same document.
select public.save_progress_document('55555555-5555-4555-8555-555555555555', 'browser', 'c4000000-0000-4000-8000-000000000001',
  progress, null, device) from (select * from saves order by device desc) s;
select public.save_progress_document('55555555-5555-4555-8555-555555555555', 'browser', 'c4000000-0000-4000-8000-000000000001',
  progress, null, device) from saves;
select is(
  (public.get_progress_document('55555555-5555-4555-8555-555555555555', 'c4000000-0000-4000-8000-000000000001') -> 'progress') - 'updatedAt',
  (public.get_progress_document('44444444-4444-4444-8444-444444444444', 'c4000000-0000-4000-8000-000000000001') -> 'progress') - 'updatedAt',
  'any order and any repetition give the same document');

select is((select count(*)::int from public.progress_history where learner_id = '55555555-5555-4555-8555-555555555555'), 4,
  'every save is in the history');
select is(public.save_progress_document('44444444-4444-4444-8444-444444444444', 'browser',
  'c4000000-0000-4000-8000-000000000001', '{"completedLessonIds": ["nope", "e4000000-0000-4000-8000-000000000002"]}') -> 'rejected',
  '[{"field": "completedLessonIds", "reason": "unknown_lesson", "lessonId": "nope"}]'::jsonb,
  'an unknown lesson is named as rejected');
select is(public.get_progress_document('44444444-4444-4444-8444-444444444444', 'c4000000-0000-4000-8000-000000000001') -> 'progress' -> 'completedLessonIds',
  '["e4000000-0000-4000-8000-000000000002"]'::jsonb, 'and the rest of that save stands');

-- Claim: the anonymous learner's rows move into the account, once.
insert into auth.users (id, aud, role, email) values
  ('66666666-6666-4666-8666-666666666666', 'authenticated', 'authenticated', 'claim@example.test');
select lives_ok($$select public.claim_browser_learner('66666666-6666-4666-8666-666666666666', '44444444-4444-4444-8444-444444444444')$$,
  'an account claims anonymous progress');
select is((public.get_progress_document('66666666-6666-4666-8666-666666666666', 'c4000000-0000-4000-8000-000000000001') -> 'progress' ->> 'timeSpentSeconds')::int,
  100, 'the claimed time is the account''s');
select throws_ok($$select public.claim_browser_learner('66666666-6666-4666-8666-666666666666', '44444444-4444-4444-8444-444444444444')$$,
  'PT409', null, 'a second claim is refused');
select ok(not has_function_privilege('authenticated', 'public.save_progress_document(uuid, text, uuid, jsonb, timestamptz, text, integer)', 'execute'),
  'learners cannot call the merge with another learner''s id');

-- Each save writes three documents into the history: compressed with lz4, not pglz.
select is((select string_agg(attcompression::text, '' order by attname) from pg_attribute
           where attrelid = 'public.progress_history'::regclass and attname in ('after', 'before', 'incoming')),
  'lll', 'the history''s documents are compressed with lz4');
select ok((select reloptions from pg_class where oid = 'public.progress_history'::regclass)
          @> array['toast_tuple_target=8160'],
  'a history entry up to a page''s size keeps its documents in its own row');

-- The document's version follows what the document shows: a row whose time moves while its update
-- time stays (as a write that began before the newest one and committed after it leaves it)
-- still moves the version. (Triggers are off for the one update, so its time is not restamped.)
create temporary table versions as
select private.document_version('55555555-5555-4555-8555-555555555555', 'c4000000-0000-4000-8000-000000000001') as seen;
set local session_replication_role = replica;
update public.lesson_progress set time_spent_seconds = time_spent_seconds + 1
where learner_id = '55555555-5555-4555-8555-555555555555' and lesson_id = 'e4000000-0000-4000-8000-000000000001';
set local session_replication_role = origin;
select isnt(private.document_version('55555555-5555-4555-8555-555555555555', 'c4000000-0000-4000-8000-000000000001'),
  (select seen from versions), 'the document''s version moves with its content, whatever its update time');

-- ... and with which lesson shows what: two lessons that swap their times move it too.
set local session_replication_role = replica;
insert into public.lesson_progress (learner_id, lesson_id, time_spent_seconds)
select '55555555-5555-4555-8555-555555555555', id, seconds
from (values ('e4000000-0000-4000-8000-000000000001'::uuid, 7), ('e4000000-0000-4000-8000-000000000002'::uuid, 9)) v(id, seconds)
on conflict (learner_id, lesson_id) do update set time_spent_seconds = excluded.time_spent_seconds;
update versions set seen = private.document_version('55555555-5555-4555-8555-555555555555', 'c4000000-0000-4000-8000-000000000001');
update public.lesson_progress set time_spent_seconds = 16 - time_spent_seconds
where learner_id = '55555555-5555-4555-8555-555555555555';
set local session_replication_role = origin;
select isnt(private.document_version('55555555-5555-4555-8555-555555555555', 'c4000000-0000-4000-8000-000000000001'),
  (select seen from versions), 'two lessons that swap their times move the document''s version');

-- Saves queue on the learner's turn: each history entry is stamped when it is written.
select col_default_is('public', 'progress_history', 'created_at', 'clock_timestamp()',
  'a history entry is stamped when it is written, after the lock');

select * from finish();
rollback;
