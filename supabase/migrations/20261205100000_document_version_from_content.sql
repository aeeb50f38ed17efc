-- The document's version (its ETag) from what the document shows, not from its newest time. The
-- version was the count of the learner's rows of the course and their latest update time. A
-- write stamps its rows with its transaction's start, so when two devices of one learner write at
-- once and the older transaction commits last, its rows carry a time older than the newest a
-- poller has already seen: the version stayed, and that poller was answered 304 for a document
-- that had changed, until some later write moved the version again.
-- Now each row adds a hash of what the document shows of it (its lesson, completion time and
-- time spent), so any change to those moves the sum whenever it commits; the newest update time
-- stays in the version because the document shows it (updatedAt).
-- Owns: a new body of private.document_version.
-- Relies on: api_sync (document_version, progress_document: the document's fields),
-- write_fast_paths (its generic plan, restated here).

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
             sum(hash_record_extended((lp.lesson_id, lp.completed_at, lp.time_spent_seconds), 0)) as shown,
             max(lp.updated_at) as updated_at
      from public.lesson_progress lp
      join public.lessons l on l.id = lp.lesson_id
      join public.modules m on m.id = l.module_id
      where lp.learner_id = p_learner_id and m.course_id = p_course_id
    ) rows
    left join public.course_documents d on d.learner_id = p_learner_id and d.course_id = p_course_id);
end;
$$;
