-- Seed 000's document built in one pass over the learner's rows of the course. A save builds it
-- twice (before and after, for its history) and every read of the document once; it used to
-- scan its rows five times (one per figure) after a join through the lesson_catalog view.
-- Owns: a new body of private.progress_document.
-- Relies on: catalog (modules, lessons), progress (lesson_progress, course_documents),
-- foundation (iso), api_sync (the document's shape).

-- As in api_sync: version 2 of the document, null while the learner has nothing in the course.
-- Every lesson of the course counts here, published or not, as it always did.
create or replace function private.progress_document(p_learner_id uuid, p_course_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    select case when rows.lessons > 0 or d.last_lesson_id is not null then jsonb_build_object(
      'version', 2,
      'completedLessonIds', rows.completed_ids,
      'lastLessonId', d.last_lesson_id,
      'lessonTimes', rows.times,
      'timeSpentSeconds', rows.seconds,
      'completedAt', rows.completed_at,
      'updatedAt', private.iso(greatest(d.updated_at, rows.updated_at)))
    end
    from (
      select count(*) as lessons,
             coalesce(jsonb_agg(lp.lesson_id order by m.position, l.position, lp.lesson_id)
                      filter (where lp.completed_at is not null), '[]') as completed_ids,
             coalesce(jsonb_object_agg(lp.lesson_id, lp.time_spent_seconds)
                      filter (where lp.time_spent_seconds > 0), '{}') as times,
             trim_scale(coalesce(sum(lp.time_spent_seconds), 0)) as seconds,
             coalesce(jsonb_object_agg(lp.lesson_id, private.iso(lp.completed_at))
                      filter (where lp.completed_at is not null), '{}') as completed_at,
             max(lp.updated_at) as updated_at
      from public.modules m
      join public.lessons l on l.module_id = m.id
      join public.lesson_progress lp on lp.learner_id = p_learner_id and lp.lesson_id = l.id
      where m.course_id = p_course_id
    ) rows
    left join public.course_documents d on d.learner_id = p_learner_id and d.course_id = p_course_id);
end;
$$;
