-- Idempotent retries for every write: `Idempotency-Key` per learner, with a fingerprint of the
-- request and the response, stored in the same transaction as the write it answers. A retry
-- replays the response; the same key with another request is 422; while the first request is
-- still running, 409. Keys expire after p_ttl_hours (24 by default).
-- Owns: idempotency_keys, replay / store, `idempotent_call`, and the register of functions that
-- take a key: each API file declares its writes with private.accepts_idempotency_key(...) right
-- after defining them.
-- Relies on: foundation.

/** Section - Tables */
-- Idempotency-Key (or an attempt id) per learner: a retry replays the stored response.
create table public.idempotency_keys (
  learner_id uuid not null references public.learners (id) on delete cascade,
  key text not null check (char_length(key) between 1 and 255),
  fingerprint text not null,
  response jsonb not null,
  created_at timestamptz not null default now(),
  primary key (learner_id, key)
);
create index idempotency_keys_created_at on public.idempotency_keys (created_at);

-- The public functions idempotent_call may run: each declared next to its definition.
create table private.idempotent_writes (
  function_name text primary key
);

/** Section - RLS Policies */
-- No policy: only the service's functions read or write keys.
alter table public.idempotency_keys enable row level security;

/** Section - Functions */

-- Declares a public write as one idempotent_call may run (and replay).
create or replace function private.accepts_idempotency_key(p_function regprocedure)
returns void
language plpgsql
set search_path = ''
as $$
begin
  insert into private.idempotent_writes (function_name)
  select p.proname from pg_catalog.pg_proc p
  where p.oid = p_function and p.pronamespace = 'public'::regnamespace
  on conflict do nothing;
end;
$$;

-- Returns the stored response of an earlier request with this key, or null when the request is
-- new. The same key with a different request is 422; while the first is still running, 409.
create or replace function private.idempotent_replay(
  p_learner_id uuid, p_key text, p_fingerprint text, p_ttl_hours integer default 24)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_stored public.idempotency_keys;
begin
  if p_key is null then
    return null;
  end if;
  if not pg_try_advisory_xact_lock(hashtextextended(p_learner_id::text || ':' || p_key, 0)) then
    perform private.fail(409, 'request_in_progress', 'A request with this Idempotency-Key is still running.', '{}');
  end if;
  select * into v_stored from public.idempotency_keys
  where learner_id = p_learner_id and key = p_key and created_at > now() - make_interval(hours => p_ttl_hours);
  if not found then
    return null;
  end if;
  if v_stored.fingerprint <> p_fingerprint then
    perform private.fail(422, 'idempotency_key_reused', 'This Idempotency-Key was used for a different request.', '{}');
  end if;
  return v_stored.response;
end;
$$;

create or replace function private.idempotent_store(
  p_learner_id uuid, p_key text, p_fingerprint text, p_response jsonb, p_ttl_hours integer default 24)
returns jsonb
language sql
set search_path = ''
as $$
  delete from public.idempotency_keys
  where learner_id = p_learner_id and created_at < now() - make_interval(hours => p_ttl_hours);
  insert into public.idempotency_keys (learner_id, key, fingerprint, response)
  select p_learner_id, p_key, p_fingerprint, p_response where p_key is not null
  on conflict (learner_id, key) do update
    set fingerprint = excluded.fingerprint, response = excluded.response, created_at = now();
  select p_response;
$$;

create or replace function public.idempotent_call(
  p_learner_id uuid, p_key text, p_fingerprint text, p_function text, p_args jsonb, p_ttl_hours integer default 24)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_replay jsonb;
  v_result jsonb;
  v_call text;
begin
  if not exists (select 1 from private.idempotent_writes where function_name = p_function) then
    perform private.fail(400, 'not_idempotent', 'This operation does not take an Idempotency-Key.', '{}');
  end if;
  v_replay := private.idempotent_replay(p_learner_id, p_key, p_fingerprint, p_ttl_hours);
  if v_replay is not null then
    return v_replay;
  end if;
  select string_agg(format('%I => %L', key,
           case jsonb_typeof(value) when 'null' then null when 'string' then value #>> '{}' else value::text end), ', ')
  into v_call
  from jsonb_each(p_args);
  execute format('select public.%I(%s)', p_function, v_call) into v_result;
  return private.idempotent_store(p_learner_id, p_key, p_fingerprint, v_result, p_ttl_hours);
end;
$$;
