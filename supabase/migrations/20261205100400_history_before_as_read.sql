-- A save's history entry holds as its before document exactly what a read gave before the save.
-- The save creates the learner's course_documents row when there is none (its lock), and built
-- the before document after that: a learner whose first save followed a mark or seed 001's time
-- got that save's clock as the before document's updatedAt, where a read had given the newest
-- lesson row's. The row the save creates now starts at -infinity, which the before document's
-- updatedAt (the newest of the row's and the lesson rows') passes over; the save's merge stamps
-- it with the save's time, as it stamps every save, so no committed row keeps -infinity.
-- (Building both documents from one read of the course's rows, then the named lessons' rows as
-- they were, was measured and not kept: the save 1.809 -> 1.808 ms in the executor on dataset L,
-- the arrays it passes between steps costing what the second read saved, and every read of a
-- document 15 µs dearer.)
-- Owns: a new body of public.save_progress_document.
-- Relies on: named_lessons_as_rows (save_progress_document, sort_named_lessons, merge_document:
-- the stamp), progress (course_documents), document_in_one_pass (progress_document).

-- As in named_lessons_as_rows, with the course_documents row it creates starting at -infinity.
create or replace function public.save_progress_document(
  p_learner_id uuid, p_learner_kind text, p_course_id uuid, p_progress jsonb,
  p_client_updated_at timestamptz default null, p_device_id text default null,
  p_max_seconds integer default 86400)
returns jsonb
language plpgsql
security definer
set search_path = ''
set client_min_messages = warning
as $$
declare
  v_sorted private.sorted_document;
  v_flips integer;
  v_before jsonb;
  v_after jsonb;
  v_clock timestamptz := private.client_clock(p_client_updated_at::text);
  v_device text := coalesce(p_device_id, 'default');
begin
  perform private.require_course_access(p_learner_id, p_course_id);
  perform private.ensure_learner(p_learner_id, p_learner_kind);
  insert into public.enrollments (learner_id, course_id, source) values (p_learner_id, p_course_id, 'progress')
  on conflict do nothing;

  -- Saves of one learner and course queue here, so that each history entry's before and after
  -- are exact. Saves of different courses or learners do not wait for each other.
  insert into public.course_documents (learner_id, course_id, updated_at)
  values (p_learner_id, p_course_id, '-infinity')
  on conflict do nothing;
  perform 1 from public.course_documents
  where learner_id = p_learner_id and course_id = p_course_id for update;

  v_sorted := private.sort_named_lessons(p_course_id, p_progress, p_max_seconds, v_clock);
  v_before := private.progress_document(p_learner_id, p_course_id);
  v_flips := private.merge_document(p_learner_id, p_course_id, v_sorted.incoming, v_sorted.last_lesson_id,
                                    v_clock, v_device);
  v_after := private.progress_document(p_learner_id, p_course_id);
  perform private.after_progress(p_learner_id, p_course_id, v_flips > 0, array['time_spent']);

  insert into public.progress_history (learner_id, course_id, device_id, before, incoming, after)
  values (p_learner_id, p_course_id, p_device_id, v_before,
          jsonb_build_object('progress', p_progress, 'clientUpdatedAt', p_client_updated_at),
          coalesce(v_after, 'null'));

  return jsonb_build_object(
    'progress', v_after,
    'rejected', v_sorted.rejected,
    'ignoredLessonIds', (select coalesce(jsonb_agg(distinct r ->> 'lessonId'), '[]')
                         from jsonb_array_elements(v_sorted.rejected) r));
end;
$$;
