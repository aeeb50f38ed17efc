-- The tutorial state computes its percentage inline, for a catalog tutorial and for one the
-- catalog does not know. Not inlined, private.percent runs twice per state as an SQL function call
-- of its own, its body read and planned again each time (BENCHMARKS.md, round 13); the
-- transaction's own function statistics count such calls.
begin;
select plan(6);
set local track_functions = 'all';

create function pg_temp.calls(p_function regprocedure)
returns bigint
language sql
begin atomic
  select coalesce(pg_stat_get_xact_function_calls(p_function), 0);
end;

select public.import_catalog($json${"themes": [{"id": "a9100000-0000-4000-8000-000000000001", "slug": "percent-theme", "title": "T",
  "courses": [{"id": "c9910000-0000-4000-8000-000000000001", "slug": "percent-course", "title": "C", "modules": [
    {"id": "d9910000-0000-4000-8000-000000000001", "slug": "m", "title": "M", "lessons": [
      {"id": "e9910000-0000-4000-8000-000000000001", "slug": "l1", "title": "L1"},
      {"id": "e9910000-0000-4000-8000-000000000002", "slug": "l2", "title": "L2"},
      {"id": "e9910000-0000-4000-8000-000000000003", "slug": "l3", "title": "L3"}]}]}]}]}$json$::jsonb);

select set_config('tap.catalog', public.record_chapter('98989898-9898-4898-8898-989898989898', 'browser', 'percent-course',
  'e9910000-0000-4000-8000-000000000001', 300, true)::text, true);
select set_config('tap.unknown', public.record_chapter('98989898-9898-4898-8898-989898989898', 'browser', 'percent-tutorial',
  'c1', 300, true, null, 8)::text, true);
-- The client's count below the chapters the learner has touched: the touched ones count.
select public.record_chapter('98989898-9898-4898-8898-989898989898', 'browser', 'percent-small', c, 300, true, null, 1)
from unnest(array['c1', 'c2']) c;
select set_config('tap.small', public.tutorial_progress('98989898-9898-4898-8898-989898989898', 'percent-small')::text, true);

select is(pg_temp.calls((select oid from pg_proc where proname = 'record_chapter'
                          and pronamespace = 'public'::regnamespace)::regprocedure), 4::bigint,
  'the transaction''s function statistics count the calls made in it');
select is(pg_temp.calls('private.percent(bigint, bigint)'), 0::bigint,
  'a tutorial''s state computes its percentage inline');

select is((current_setting('tap.catalog')::jsonb ->> 'completionPercentage')::int, 33,
  'a catalog tutorial''s percentage counts its chapters');
select is((current_setting('tap.unknown')::jsonb ->> 'completionPercentage')::int, 12,
  'an unknown tutorial''s percentage counts the client''s chapters');
select is((current_setting('tap.small')::jsonb - 'chapterProgress' - 'lastWatchedAt' - 'userId')
            - 'quizScores' - 'certificateId' - 'tutorialId',
  jsonb_build_object('completionPercentage', 100, 'chaptersCompleted', 2, 'totalChapters', 2,
                     'certificateEligible', true, 'certificateEarned', false, 'totalWatchTime', 600),
  'a client''s count below the chapters touched counts the touched ones');
select is((current_setting('tap.catalog')::jsonb ->> 'certificateEligible')::boolean, false,
  'a certificate waits for 95 %');

select * from finish();
rollback;
