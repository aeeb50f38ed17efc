-- The history's documents compressed with lz4 instead of pglz: a save writes three of them (before,
-- incoming, after; about 5 kB of JSON each, 2 kB compressed), and lz4 compresses and decompresses
-- them in a fraction of pglz's time (the history insert of a save on dataset L: 0.21-0.28 ->
-- 0.15-0.19 ms). Rows already stored keep pglz; both read the same. A server built without lz4
-- keeps pglz, with a warning.
-- Owns: the compression of progress_history's document columns.
-- Relies on: progress (progress_history).

do $$
begin
  alter table public.progress_history
    alter column before set compression lz4,
    alter column incoming set compression lz4,
    alter column after set compression lz4;
exception when feature_not_supported then
  raise warning 'This PostgreSQL has no lz4: the history keeps pglz.';
end;
$$;
