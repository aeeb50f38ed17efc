-- Helpers the planner can inline again: a SQL function declared immutable whose body calls a
-- stable function (to_char, jsonb_build_object) is never inlined, so each call ran as a function
-- call of its own (about 2 us for private.iso against 0.6 inlined; a saved document formats
-- every completed lesson's time, twice). Declared stable, as their bodies are.
-- Owns: the volatility of private.iso and private.completion_row.
-- Relies on: foundation (iso), rules (completion_row).

alter function private.iso(timestamptz) stable;
alter function private.completion_row(uuid, uuid, boolean, timestamptz) stable;
