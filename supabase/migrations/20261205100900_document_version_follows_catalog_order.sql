-- The document's version (its ETag) moves when the catalog reorders what the document lists.
-- completedLessonIds follow the course's order (module position, then lesson position), so an
-- instructor who reorders lessons or modules changes every document of the course that lists
-- them, though none of its rows changes. The version hashed each row's lesson, completion time and
-- time spent only: a poller was answered 304 and kept the old order until its learner wrote again.
-- Now each row's hash also takes the two positions that place it, which the walk over the course's
-- modules and lessons reads from their order indexes anyway (catalog_indexes_cover_documents).
-- And each row's hash is mixed before the rows are summed: a record's hash is a weighted sum of its
-- fields' hashes, so a sum of record hashes depended on the values of each field, not on which row
-- held them. Two lessons that swap places (or completion times) left the sum where it was.
-- Owns: a new body of private.document_version.
-- Relies on: document_version_from_content (document_version, its generic plan, restated here),
-- document_in_one_pass (progress_document: the order of completedLessonIds).

create or replace function private.document_version(p_learner_id uuid, p_course_id uuid)
returns text
language plpgsql
stable
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
begin
  return (
    select md5(concat_ws('/', rows.lessons, rows.shown, rows.updated_at, d.updated_at, d.last_lesson_id))
    from (
      select count(*) as lessons,
             sum(hashint8extended(hash_record_extended(
                   (lp.lesson_id, lp.completed_at, lp.time_spent_seconds, m.position, l.position), 0), 0)) as shown,
             max(lp.updated_at) as updated_at
      from public.lesson_progress lp
      join public.lessons l on l.id = lp.lesson_id
      join public.modules m on m.id = l.module_id
      where lp.learner_id = p_learner_id and m.course_id = p_course_id
    ) rows
    left join public.course_documents d on d.learner_id = p_learner_id and d.course_id = p_course_id);
end;
$$;
