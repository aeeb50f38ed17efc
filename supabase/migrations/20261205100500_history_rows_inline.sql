-- A history entry's documents kept in its own row. A save's entry holds three documents (before,
-- incoming, after), about 4 to 5 kB together once lz4 has compressed them: over the 2 kB at which
-- PostgreSQL moves a row's largest values out to its TOAST table, chunk by chunk, each chunk with
-- an index entry of its own. With the target at a page's worth, such a row stays whole in the
-- table's own page; only an entry still larger than that goes out of line.
-- Measured on dataset L, one connection, four pairs of 6 s windows after a checkpoint: WAL a save
-- 74-81 -> 64-73 kB (fewer pages written whole after the checkpoint), the history insert
-- 160-185 -> 134-152 µs (under pg_stat_statements' nested tracking), the save's executor time
-- lower in three pairs of four.
-- Owns: the toast_tuple_target of progress_history.
-- Relies on: progress (progress_history), history_compression (its documents' lz4).

alter table public.progress_history set (toast_tuple_target = 8160);
