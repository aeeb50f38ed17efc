-- Roll-ups, prerequisites and the completion functions, called as the service calls them.
begin;
select plan(20);

select public.import_catalog($json${"themes": [{"id": "a1000000-0000-4000-8000-000000000001", "slug": "tap-theme", "title": "T",
  "courses": [{"id": "c1000000-0000-4000-8000-000000000001", "slug": "tap-course", "title": "C", "modules": [
    {"id": "d1000000-0000-4000-8000-000000000001", "slug": "m1", "title": "M1", "lessons": [
      {"id": "e1000000-0000-4000-8000-000000000001", "slug": "l1", "title": "L1"},
      {"id": "e1000000-0000-4000-8000-000000000002", "slug": "l2", "title": "L2",
       "prerequisites": ["e1000000-0000-4000-8000-000000000001"]},
      {"id": "e1000000-0000-4000-8000-000000000003", "slug": "l3", "title": "L3", "published": false}]},
    {"id": "d1000000-0000-4000-8000-000000000002", "slug": "m2", "title": "M2",
     "prerequisites": ["d1000000-0000-4000-8000-000000000001"], "lessons": [
      {"id": "e1000000-0000-4000-8000-000000000004", "slug": "l4", "title": "L4"}]}]}]}]}$json$::jsonb);

select is(private.percent(2, 3), 66, 'percent is floored');
select is(private.percent(0, 0), 0, 'an empty module is 0 %');
select is(private.rollup_status(3, 3, true), 'completed', 'all lessons done is completed');
select is(private.rollup_status(0, 3, false), 'not-started', 'nothing done or opened is not-started');

select is(private.module_rollup('11111111-1111-4111-8111-111111111111', 'd1000000-0000-4000-8000-000000000001') ->> 'totalCount',
  '2', 'an unpublished lesson is not in the module''s denominator');
select is(jsonb_array_length(private.missing_prerequisites('11111111-1111-4111-8111-111111111111', 'e1000000-0000-4000-8000-000000000002')),
  1, 'L2 waits for L1');
select is(private.missing_prerequisites('11111111-1111-4111-8111-111111111111', 'e1000000-0000-4000-8000-000000000004') -> 0 ->> 'type',
  'module', 'L4 waits for module M1');

select throws_ok($$select public.mark_lesson_complete('11111111-1111-4111-8111-111111111111', 'browser',
  'e1000000-0000-4000-8000-000000000002')$$, 'PT409', 'Complete the prerequisites of this lesson first.',
  'a locked lesson cannot be marked');
select throws_ok($$select public.mark_lesson_complete('11111111-1111-4111-8111-111111111111', 'browser',
  'e1000000-0000-4000-8000-000000000003')$$, 'PT400', 'This lesson is not published.',
  'an unpublished lesson cannot be marked');
select throws_ok($$select public.mark_lesson_complete('11111111-1111-4111-8111-111111111111', 'browser',
  'e1000000-0000-4000-8000-0000000000ff')$$, 'PT404', 'Lesson not found.', 'an unknown lesson is 404');

select is(public.mark_lesson_complete('11111111-1111-4111-8111-111111111111', 'browser',
  'e1000000-0000-4000-8000-000000000001') -> 'module' ->> 'percent', '50', 'marking L1 makes M1 50 %');
select ok(exists (select 1 from public.enrollments where learner_id = '11111111-1111-4111-8111-111111111111'
  and course_id = 'c1000000-0000-4000-8000-000000000001' and source = 'progress'),
  'first progress in a free course enrolls the learner');
select is(public.mark_lesson_complete('11111111-1111-4111-8111-111111111111', 'browser',
  'e1000000-0000-4000-8000-000000000002') -> 'module' ->> 'status', 'completed', 'L2 unlocks and completes M1');
select is(private.course_rollup('11111111-1111-4111-8111-111111111111', 'c1000000-0000-4000-8000-000000000001') ->> 'percent',
  '66', 'the course is lesson-weighted: 2 of 3');
select is(public.unmark_lesson_complete('11111111-1111-4111-8111-111111111111', 'browser',
  'e1000000-0000-4000-8000-000000000001') -> 'module' ->> 'completedCount', '1', 'unmark recounts');
select throws_ok($$select public.update_content_progress('11111111-1111-4111-8111-111111111111', 'browser',
  'c1000000-0000-4000-8000-000000000001', 'course', 'completed')$$, 'PT409', null,
  'a course cannot be declared complete');

-- The denominators are kept by triggers on the catalog: each module's total must equal a fresh
-- count after every kind of catalog edit, and a course's total is the sum of its modules'.
create temporary view course_totals as
select c.id as course_id,
       coalesce((select sum(t.lessons) from private.module_lesson_totals t where t.course_id = c.id), 0)::int as lessons
from public.courses c;
create temporary view totals_drift as
select t.module_id from private.module_lesson_totals t
where t.lessons <> (select count(*) from public.lesson_catalog lc where lc.module_id = t.module_id and lc.counts)
   or t.course_id <> (select m.course_id from public.modules m where m.id = t.module_id)
union all
select lc.module_id from public.lesson_catalog lc where lc.counts
  and not exists (select 1 from private.module_lesson_totals t where t.module_id = lc.module_id);
select is((select lessons from course_totals where course_id = 'c1000000-0000-4000-8000-000000000001'),
  3, 'the course has three counting lessons');
insert into public.lessons (id, module_id, slug, title) values
  ('e1000000-0000-4000-8000-000000000005', 'd1000000-0000-4000-8000-000000000002', 'l5', 'L5');
update public.lessons set published = true where id = 'e1000000-0000-4000-8000-000000000003';
select is_empty('select * from totals_drift', 'added and published lessons are counted');
update public.modules set published = false where id = 'd1000000-0000-4000-8000-000000000002';
update public.lessons set module_id = 'd1000000-0000-4000-8000-000000000002' where id = 'e1000000-0000-4000-8000-000000000001';
select is_empty('select * from totals_drift', 'an unpublished module and a lesson moved into it are not');
delete from public.modules where id = 'd1000000-0000-4000-8000-000000000001';
update public.modules set published = true where id = 'd1000000-0000-4000-8000-000000000002';
select is((select lessons from course_totals where course_id = 'c1000000-0000-4000-8000-000000000001'),
  3, 'a deleted module takes its lessons out of the count (L1, L4, L5 remain)');

select * from finish();
rollback;
