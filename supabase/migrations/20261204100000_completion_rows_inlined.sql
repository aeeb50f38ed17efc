-- The completion row of every write that completes or unmarks a lesson, inlined again. The planner
-- never inlines a SQL function whose argument is volatile and used twice, and every caller passes
-- clock_timestamp() (or an expression of it) as the time, which the body used twice. Not inlined,
-- it ran as a call of its own, its body prepared anew in each transaction that called it: about
-- 15 µs more per mark, unmark, lesson progress and chapter that completes (BENCHMARKS.md, round 12).
-- Owns: a new body of private.completion_row (its time written once).
-- Relies on: rules (completion_row), inlined_helpers (completion_row stable).

/** Section - Completion rows */

-- As in rules: one lesson's completion (at p_at) or unmark (at p_at), as a row for the merge. The
-- time appears once in the body (as the text jsonb_build_object writes for a timestamptz, then
-- repeated for as many keys as need it), so that a caller's clock_timestamp() is inlined.
create or replace function private.completion_row(p_learner_id uuid, p_lesson_id uuid, p_completed boolean, p_at timestamptz)
returns jsonb
language sql
stable
begin atomic
  select jsonb_build_object('learner_id', p_learner_id, 'lesson_id', p_lesson_id)
    || jsonb_object(case when p_completed then '{completion_clock,first_completed_at}'::text[] else '{unmark_clock}'::text[] end,
                    array_fill(to_jsonb(p_at) #>> '{}', array[case when p_completed then 2 else 1 end]));
end;
