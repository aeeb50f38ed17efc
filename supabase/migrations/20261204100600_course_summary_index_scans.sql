-- The course summary reads its few rows by plain index scans. Its generic plan read the lessons
-- of a module (about ten) and the learner's visits (a handful) through bitmap scans, whose set-up
-- (a bitmap, a heap scan over it, the visits materialized for the join) costs more than the rows
-- they bring; with bitmap scans off for this function the planner probes each by its index.
-- Dataset L after a minute of each of the bench's writes, one connection, the summary without
-- and with the setting in turns (8 pairs of 5 s): executor 0.413 to 0.490 -> 0.356 to 0.449 ms,
-- p50 0.603 to 0.758 -> 0.530 to 0.699 ms, lower in every pair.
-- Owns: public.course_summary's enable_bitmapscan (and so next_lesson's, which calls it).
-- Relies on: course_summary_in_one_statement (the summary).

alter function public.course_summary(uuid, uuid) set enable_bitmapscan = off;
