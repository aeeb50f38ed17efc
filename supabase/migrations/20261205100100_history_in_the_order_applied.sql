-- A history entry's time is when it was written, not when its transaction began. Saves of one
-- learner and course queue on the course document's lock, so a save that began first can be
-- applied second; stamped with its transaction's start, its entry was listed before the entry it
-- followed, and the history's before / after chain read out of order.
-- Owns: the default of progress_history.created_at.
-- Relies on: progress (progress_history), api_sync (the saves' queue and the history's order).

alter table public.progress_history alter column created_at set default clock_timestamp();
