-- The catalog's order indexes carry the ids a document reads. Seed 000's document
-- (private.progress_document) walks its course's modules and their lessons in order, then looks up
-- the learner's row for each lesson: a read builds it once, a save twice (its history's before and
-- after). The two indexes held each row's key and position but not its id, so every module and
-- every lesson was also fetched from its table: 67 of the document's 250 buffer reads on dataset L
-- (50 lessons in 5 modules). With the id in the index, the walk is an index-only scan (14 reads)
-- wherever the catalog's pages are all-visible, as autovacuum leaves a catalog that rarely changes.
-- Measured on dataset L, one connection, pgbench p50 with and without, in turns: the document alone
-- 0.434-0.441 -> 0.398-0.401 ms (three pairs); the save and the other reads in BENCHMARKS.md
-- round 31.
-- Owns: new definitions of the indexes modules_course_id and lessons_module_id.
-- Relies on: catalog (modules, lessons, both indexes), document_in_one_pass (progress_document).

drop index public.modules_course_id;
create index modules_course_id on public.modules (course_id, position) include (id);

drop index public.lessons_module_id;
create index lessons_module_id on public.lessons (module_id, position) include (id);
