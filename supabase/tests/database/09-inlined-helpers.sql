-- The SQL helpers that writes and reads call are inlined into their callers' plans. Not inlined,
-- a helper runs as a function call of its own, its body read and prepared again for every
-- statement that calls it (BENCHMARKS.md, rounds 12 and 13); the transaction's own function
-- statistics count such calls.
-- - private.completion_row: every write that completes or unmarks a lesson.
-- - private.percent: every tutorial state (seed 002's chapters, quizzes and reads).
begin;
select plan(10);
set local track_functions = 'all';

create function pg_temp.calls(p_function regprocedure)
returns bigint
language sql
begin atomic
  select coalesce(pg_stat_get_xact_function_calls(p_function), 0);
end;

select public.import_catalog($json${"themes": [{"id": "a9000000-0000-4000-8000-000000000001", "slug": "inline-theme", "title": "T",
  "courses": [{"id": "c9900000-0000-4000-8000-000000000001", "slug": "inline-course", "title": "C", "modules": [
    {"id": "d9900000-0000-4000-8000-000000000001", "slug": "m", "title": "M", "lessons": [
      {"id": "e9900000-0000-4000-8000-000000000001", "slug": "l1", "title": "L1"},
      {"id": "e9900000-0000-4000-8000-000000000002", "slug": "l2", "title": "L2"},
      {"id": "e9900000-0000-4000-8000-000000000003", "slug": "l3", "title": "L3"}]}]}]}]}$json$::jsonb);

select public.mark_lesson_complete('99999999-9999-4999-8999-999999999999', 'browser', 'e9900000-0000-4000-8000-000000000001');
select public.unmark_lesson_complete('99999999-9999-4999-8999-999999999999', 'browser', 'e9900000-0000-4000-8000-000000000001');
select public.record_lesson_progress('99999999-9999-4999-8999-999999999999', 'browser', 'e9900000-0000-4000-8000-000000000002', null, 100, 60);
select public.record_chapter('99999999-9999-4999-8999-999999999999', 'browser', 'inline-course', 'e9900000-0000-4000-8000-000000000001', 300, true);
select public.record_chapter('99999999-9999-4999-8999-999999999999', 'browser', 'inline-tutorial', 'c1', 300, true, null, 4);

-- Tutorial states of another learner: a catalog tutorial, an unknown one with the client's count
-- of its chapters, and one whose client count is below the chapters touched.
select set_config('tap.catalog', public.record_chapter('98989898-9898-4898-8898-989898989898', 'browser', 'inline-course',
  'e9900000-0000-4000-8000-000000000001', 300, true)::text, true);
select set_config('tap.unknown', public.record_chapter('98989898-9898-4898-8898-989898989898', 'browser', 'percent-tutorial',
  'c1', 300, true, null, 8)::text, true);
select public.record_chapter('98989898-9898-4898-8898-989898989898', 'browser', 'percent-small', c, 300, true, null, 1)
from unnest(array['c1', 'c2']) c;
select set_config('tap.small', public.tutorial_progress('98989898-9898-4898-8898-989898989898', 'percent-small')::text, true);

select is(pg_temp.calls((select oid from pg_proc where proname = 'mark_lesson_complete'
                          and pronamespace = 'public'::regnamespace)::regprocedure), 1::bigint,
  'the transaction''s function statistics count the calls made in it');
select is(pg_temp.calls('private.completion_row(uuid, uuid, boolean, timestamptz)'), 0::bigint,
  'a mark, an unmark, a lesson''s progress and a chapter build their completion rows inline');
select is(pg_temp.calls('private.percent(bigint, bigint)'), 0::bigint,
  'a tutorial''s state computes its percentage inline');

select is((current_setting('tap.catalog')::jsonb ->> 'completionPercentage')::int, 33,
  'a catalog tutorial''s percentage counts its chapters');
select is((current_setting('tap.catalog')::jsonb ->> 'certificateEligible')::boolean, false,
  'a certificate waits for 95 %');
select is((current_setting('tap.unknown')::jsonb ->> 'completionPercentage')::int, 12,
  'an unknown tutorial''s percentage counts the client''s chapters');
select is((current_setting('tap.small')::jsonb - 'chapterProgress' - 'lastWatchedAt' - 'userId')
            - 'quizScores' - 'certificateId' - 'tutorialId',
  jsonb_build_object('completionPercentage', 100, 'chaptersCompleted', 2, 'totalChapters', 2,
                     'certificateEligible', true, 'certificateEarned', false, 'totalWatchTime', 600),
  'a client''s count below the chapters touched counts the touched ones');

select is(private.completion_row('99999999-9999-4999-8999-999999999999', 'e9900000-0000-4000-8000-000000000001', true,
                                 '2026-12-04 01:02:03.456789+00'),
  jsonb_build_object('learner_id', '99999999-9999-4999-8999-999999999999'::uuid, 'lesson_id', 'e9900000-0000-4000-8000-000000000001'::uuid,
                     'completion_clock', '2026-12-04 01:02:03.456789+00'::timestamptz,
                     'first_completed_at', '2026-12-04 01:02:03.456789+00'::timestamptz),
  'a completion row holds the lesson, its completion clock and its first completion');
set local timezone = 'Asia/Kolkata';
set local datestyle = 'SQL, DMY';
select is(private.completion_row('99999999-9999-4999-8999-999999999999', 'e9900000-0000-4000-8000-000000000001', false,
                                 '2026-12-04 01:02:03.456789+00'),
  jsonb_build_object('learner_id', '99999999-9999-4999-8999-999999999999'::uuid, 'lesson_id', 'e9900000-0000-4000-8000-000000000001'::uuid,
                     'unmark_clock', '2026-12-04 01:02:03.456789+00'::timestamptz),
  'an unmark row holds the lesson and its unmark clock, in any time zone and date style');
select is((private.completion_row('99999999-9999-4999-8999-999999999999', 'e9900000-0000-4000-8000-000000000001', true,
                                  '2026-12-04 01:02:03.456789+00') ->> 'completion_clock')::timestamptz,
  '2026-12-04 01:02:03.456789+00'::timestamptz, 'and its clock reads back to the microsecond');

select * from finish();
rollback;
