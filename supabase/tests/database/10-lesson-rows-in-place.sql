-- A write updates a lesson row in place (HOT): no index of lesson_progress holds a column that
-- writes move, and pages keep room for a row's next version. An update that is not HOT adds an
-- entry to every index of the table and leaves a dead one in each (BENCHMARKS.md, round 14). The
-- resume, which used to read an index on last access, still finds the lesson opened last.
begin;
select plan(6);

create function pg_temp.lesson_updates()
returns table (updated bigint, hot bigint)
language sql
begin atomic
  select pg_stat_get_xact_tuples_updated('public.lesson_progress'::regclass),
         pg_stat_get_xact_tuples_hot_updated('public.lesson_progress'::regclass);
end;

create function pg_temp.save(p_course uuid, p_progress jsonb, p_ago interval)
returns jsonb
language sql
begin atomic
  select public.save_progress_document('97979797-9797-4797-8797-979797979797', 'browser', p_course, p_progress,
                                       now() - p_ago, 'tap');
end;

select public.import_catalog($json${"themes": [{"id": "a9100000-0000-4000-8000-000000000001", "slug": "hot-theme", "title": "T",
  "courses": [
    {"id": "c9910000-0000-4000-8000-000000000001", "slug": "hot-course", "title": "C", "modules": [
      {"id": "d9910000-0000-4000-8000-000000000001", "slug": "m1", "title": "M1", "lessons": [
        {"id": "e9910000-0000-4000-8000-000000000001", "slug": "l1", "title": "L1"},
        {"id": "e9910000-0000-4000-8000-000000000002", "slug": "l2", "title": "L2"}]},
      {"id": "d9910000-0000-4000-8000-000000000002", "slug": "m2", "title": "M2", "lessons": [
        {"id": "e9910000-0000-4000-8000-000000000003", "slug": "l3", "title": "L3"},
        {"id": "e9910000-0000-4000-8000-000000000004", "slug": "l4", "title": "L4"}]}]},
    {"id": "c9910000-0000-4000-8000-000000000002", "slug": "hot-other", "title": "O", "modules": [
      {"id": "d9910000-0000-4000-8000-000000000003", "slug": "m3", "title": "M3", "lessons": [
        {"id": "e9910000-0000-4000-8000-000000000005", "slug": "l5", "title": "L5"}]}]}]}]}$json$::jsonb);

select is_empty($$
  select i.indexrelid::regclass from pg_index i
  where i.indrelid = 'public.lesson_progress'::regclass
    and (i.indexprs is not null or i.indpred is not null
         or exists (select 1 from unnest(i.indkey) k join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k
                    where a.attname not in ('learner_id', 'lesson_id')))$$,
  'every index of lesson_progress is on its keys alone, which no write moves');
select ok((select 'fillfactor=90' = any (reloptions) from pg_class where oid = 'public.lesson_progress'::regclass),
  'lesson_progress pages keep room for a row''s next version');

-- Rows for l1, l3, l2 (completed) and another course's l5; a row's first access is the server's
-- clock, so each is then dated as if opened in that order, an hour or more apart.
select pg_temp.save('c9910000-0000-4000-8000-000000000001', '{"version": 1, "completedLessonIds": ["e9910000-0000-4000-8000-000000000002"],
  "lessonTimes": {"e9910000-0000-4000-8000-000000000001": 5, "e9910000-0000-4000-8000-000000000003": 5}}', '3 hours');
select pg_temp.save('c9910000-0000-4000-8000-000000000002', '{"version": 1, "lessonTimes": {"e9910000-0000-4000-8000-000000000005": 5}}', '3 hours');
update public.lesson_progress lp set last_accessed_at = now() - opened.ago
from (values ('e9910000-0000-4000-8000-000000000001'::uuid, interval '3 hours'), ('e9910000-0000-4000-8000-000000000003', '2 hours'),
             ('e9910000-0000-4000-8000-000000000002', '1 hour'), ('e9910000-0000-4000-8000-000000000005', '30 minutes')) opened (lesson_id, ago)
where lp.learner_id = '97979797-9797-4797-8797-979797979797' and lp.lesson_id = opened.lesson_id;
select is(public.course_summary('97979797-9797-4797-8797-979797979797', 'c9910000-0000-4000-8000-000000000001') #>> '{resume,lessonId}',
  'e9910000-0000-4000-8000-000000000003',
  'the resume is the course''s lesson opened last and not completed');

-- One update: l1 opened again, with more time.
select set_config('tap.before', row_to_json(u)::text, true) from pg_temp.lesson_updates() u;
select pg_temp.save('c9910000-0000-4000-8000-000000000001', '{"version": 1, "lessonTimes": {"e9910000-0000-4000-8000-000000000001": 3600}}', '10 minutes');
select is((select updated - (current_setting('tap.before')::json ->> 'updated')::bigint from pg_temp.lesson_updates()), 1::bigint,
  'a save that moves one lesson updates its row once');
select is((select hot - (current_setting('tap.before')::json ->> 'hot')::bigint from pg_temp.lesson_updates()), 1::bigint,
  'and updates it in place');
select is(public.course_summary('97979797-9797-4797-8797-979797979797', 'c9910000-0000-4000-8000-000000000001') #>> '{resume,lessonId}',
  'e9910000-0000-4000-8000-000000000001',
  'the resume follows the lesson opened again');

select * from finish();
rollback;
