-- A history entry's documents kept in its own row. A save's entry holds three documents (before,
-- incoming, after), about 4 to 5 kB together once lz4 has compressed them: over the 2 kB at which
-- PostgreSQL moves a row's largest values out to its TOAST table, chunk by chunk, each chunk with
-- an index entry of its own. With the target at a page's worth, such a row stays whole in the
-- table's own page; only an entry still larger than that goes out of line.
-- Measured on dataset L, one connection, pairs of 6 s windows in turns: WAL a save 74-81 -> 64-73
-- kB after a checkpoint (fewer pages written whole), the history insert 160-185 -> 134-152 µs and,
-- on a second stack, 110-129 -> 98-110 µs (pg_stat_statements tracking nested statements). That
-- is 1 % of a save: the whole save's time moved with the windows (six pairs, either way), not
-- measurably with this.
-- Owns: the toast_tuple_target of progress_history.
-- Relies on: progress (progress_history), history_compression (its documents' lz4).

alter table public.progress_history set (toast_tuple_target = 8160);
