-- A course's modules and their lessons are walked in order from the catalog's indexes alone, ids
-- included (catalog_indexes_cover_documents): seed 000's document and its version walk them on
-- every read, twice on a save. Without the ids in the indexes, each module and lesson was also
-- fetched from its table (BENCHMARKS.md, round 31). With plain index scans switched off, a walk
-- the indexes cannot answer alone is planned as a disabled index scan, and these fail.
begin;
select plan(2);

create function pg_temp.plan(p_query text)
returns text
language plpgsql
as $$
declare
  v_line text;
  v_plan text := '';
begin
  for v_line in execute 'explain (costs off) ' || p_query loop
    v_plan := v_plan || v_line || E'\n';
  end loop;
  return v_plan;
end;
$$;

set local enable_seqscan = off;
set local enable_bitmapscan = off;
set local enable_indexscan = off;

select matches(pg_temp.plan($$
  select m.id, m.position from public.modules m where m.course_id = 'c9920000-0000-4000-8000-000000000001'
  order by m.position$$),
  'Index Only Scan using modules_course_id on modules',
  'a course''s modules and their ids are read in order from modules_course_id alone');
select matches(pg_temp.plan($$
  select l.id, l.position from public.lessons l where l.module_id = 'd9920000-0000-4000-8000-000000000001'
  order by l.position$$),
  'Index Only Scan using lessons_module_id on lessons',
  'a module''s lessons and their ids are read in order from lessons_module_id alone');

select * from finish();
rollback;
