-- A write of one lesson merged by the lesson's key. Marks, unmarks, seed 001's lesson progress and
-- seed 002's chapters each merge one row, and went through the merge built for a document's rows:
-- the row as a one-element JSON array, a look that aggregated what it locked into a JSON object,
-- then an update or an insert from a recordset, aggregating what it wrote. Each of those
-- statements is dear to start whatever it then reads: setting up plans (aggregates, subquery and
-- function scans) took about a fifth of a completing mark's time in the database. One row now
-- takes a lookup by key, then an update or an insert of the row private.merged_progress makes:
-- the same rules, the same lock, the same race with a concurrent insert (look again, update).
-- Dataset L, one connection, the old merge and this one in turns (nested statements tracked):
-- the merge of a mark that completes a lesson 354 and 320 -> 256 and 279 µs a call; of an unmark
-- 326 and 334 -> 236 and 234 µs (BENCHMARKS.md, round 19).
-- Owns: private.merge_one_lesson; private.merge_lesson_progress, which hands one row to it and
-- more to private.merge_lesson_rows (the document's merge, renamed here, its body unchanged).
-- Relies on: device_time_in_the_merge (private.merged_progress), saves_touch_what_they_move (the
-- document's merge and p_skip_unchanged).

/** Section - One row */

-- One lesson row merged: 1 when its completion flipped, else 0. With p_skip_unchanged, a row the
-- merge would not change (its last access and update time aside) is left as it is.
create function private.merge_one_lesson(p_row public.lesson_progress, p_skip_unchanged boolean default false)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_was public.lesson_progress;
  v_now public.lesson_progress;
  v_kept public.lesson_progress;  -- the row as it was, with the access times the merge gives it
  v_flip integer;
begin
  loop
    select * into v_was from public.lesson_progress
    where learner_id = p_row.learner_id and lesson_id = p_row.lesson_id
    for update;
    if found then
      select * into v_now from private.merged_progress(v_was, p_row);
      v_kept := v_was;
      v_kept.last_accessed_at := v_now.last_accessed_at;
      v_kept.updated_at := v_now.updated_at;
      if p_skip_unchanged and v_now is not distinct from v_kept then
        return 0;
      end if;
      update public.lesson_progress set
        (status, completed_at, first_completed_at, completion_clock, unmark_clock, progress_percentage,
         time_spent_seconds, watch_seconds, last_position_seconds, score, data, last_accessed_at) =
        (v_now.status, v_now.completed_at, v_now.first_completed_at, v_now.completion_clock, v_now.unmark_clock,
         v_now.progress_percentage, v_now.time_spent_seconds, v_now.watch_seconds, v_now.last_position_seconds,
         v_now.score, v_now.data, v_now.last_accessed_at)
      where learner_id = p_row.learner_id and lesson_id = p_row.lesson_id;
      return ((v_now.completed_at is not null) <> (v_was.completed_at is not null))::integer;
    end if;
    insert into public.lesson_progress
    select * from private.merged_progress(null, p_row)
    on conflict do nothing
    returning (completed_at is not null)::integer into v_flip;
    if found then
      return v_flip;
    end if;
    -- A concurrent writer inserted the row after the look: merge into it.
  end loop;
end;
$$;

/** Section - The merge */

-- Every writer's merge, as before (rows: [{learner_id, lesson_id, ...}], the completions flipped
-- returned): one row by its key, more as a document's.
alter function private.merge_lesson_progress(jsonb, boolean) rename to merge_lesson_rows;

create function private.merge_lesson_progress(p_rows jsonb, p_skip_unchanged boolean default false)
returns integer
language plpgsql
set search_path = ''
as $$
begin
  if jsonb_array_length(p_rows) = 1 then
    return private.merge_one_lesson(jsonb_populate_record(null::public.lesson_progress, p_rows -> 0), p_skip_unchanged);
  end if;
  return private.merge_lesson_rows(p_rows, p_skip_unchanged);
end;
$$;
