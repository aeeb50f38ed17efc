-- Learner data rights: export, erasure (on request, or when an admin deletes the Supabase user),
-- and retention. Every table with a `learner_id` column is found from the catalog, so that a table
-- added later is exported and erased without touching this file.
-- Owns: export_learner, erase_learner (and the auth.users trigger), check_identity, prune_batch.
-- Relies on: foundation (learners, profiles, fail), progress and platform (the learner tables,
-- whose counters' triggers make an erased learner count as never having existed).

/** Section - Tables */

-- Learners erased at their request: their old tokens stop working (see check_identity).
create table private.erased_learners (
  id uuid primary key,
  erased_at timestamptz not null default now()
);

/** Section - The learner's tables */

-- Every public table that holds a learner's rows, by its `learner_id` column.
create or replace function private.learner_tables()
returns setof text
language sql
stable
begin atomic
  select c.table_name::text from information_schema.columns c
  join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
  where c.table_schema = 'public' and c.column_name = 'learner_id' and t.table_type = 'BASE TABLE'
  order by 1;
end;

/** Section - Export */

-- Everything the service holds about a learner: their learner row (points, streak, time zone),
-- their profile, and their rows of every learner table, as stored.
create or replace function public.export_learner(p_learner_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_table text;
  v_rows jsonb;
  v_tables jsonb := '{}';
begin
  for v_table in select private.learner_tables() loop
    execute format('select coalesce(jsonb_agg(to_jsonb(t)), ''[]'') from public.%I t where t.learner_id = $1', v_table)
    into v_rows using p_learner_id;
    v_tables := v_tables || jsonb_build_object(v_table, v_rows);
  end loop;
  return jsonb_build_object(
    'learnerId', p_learner_id,
    'exportedAt', private.iso(now()),
    'learner', (select to_jsonb(l) from public.learners l where l.id = p_learner_id),
    'profile', (select to_jsonb(p) from public.profiles p where p.id = p_learner_id),
    'claimedBrowserLearners', (select coalesce(jsonb_agg(to_jsonb(l)), '[]') from public.learners l
                               where l.claimed_by = p_learner_id),
    'tables', v_tables);
end;
$$;

/** Section - Erasure */

-- Removes a learner's personal data and progress in one transaction and answers what it removed,
-- per table. Deleting the learner row cascades to every learner table, and the counter triggers
-- move course counters as for any other delete, so enrollments, ratings and every roll-up are as
-- if the learner had never existed. Certificates stay verifiable as issued, without the holder.
create or replace function private.erase_learner_rows(p_learner_id uuid)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_table text;
  v_count bigint;
  v_removed jsonb := '{}';
begin
  for v_table in select private.learner_tables() loop
    execute format('select count(*) from public.%I where learner_id = $1', v_table) into v_count using p_learner_id;
    if v_count > 0 then
      v_removed := v_removed || jsonb_build_object(v_table, v_count);
    end if;
  end loop;
  update public.certificates set learner_id = null, learner_name = null, holder_erased_at = now()
  where learner_id = p_learner_id;
  delete from public.profiles where id = p_learner_id;
  get diagnostics v_count = row_count;
  v_removed := v_removed || case when v_count > 0 then jsonb_build_object('profiles', v_count) else '{}' end;
  delete from public.learners where claimed_by = p_learner_id or id = p_learner_id;
  insert into private.erased_learners (id) values (p_learner_id) on conflict do nothing;
  return v_removed;
end;
$$;

-- DELETE /api/me, with the confirmation the service checked.
create or replace function public.erase_learner(p_learner_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  return jsonb_build_object('erased', true, 'learnerId', p_learner_id,
                            'removed', private.erase_learner_rows(p_learner_id));
end;
$$;

-- An admin deletes the Supabase user: the same erasure, in the same transaction.
create or replace function private.erase_deleted_account()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.erase_learner_rows(old.id);
  return old;
end;
$$;
create trigger on_auth_user_deleted before delete on auth.users
  for each row execute function private.erase_deleted_account();

-- A verified token whose learner can no longer act: erased at their request, or an account whose
-- Supabase user is gone. The service asks before it trusts a token (and again every minute).
create or replace function public.check_identity(p_learner_id uuid, p_learner_kind text)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if p_learner_kind = 'account' and not exists (select 1 from auth.users where id = p_learner_id) then
    perform private.fail(401, 'account_deleted', 'This account no longer exists.', '{}');
  end if;
  if exists (select 1 from private.erased_learners where id = p_learner_id) then
    perform private.fail(401, 'learner_erased', 'This learner''s data was erased: the token no longer works.', '{}');
  end if;
end;
$$;

/** Section - Retention */

-- One batch of what retention removes: sync history older than p_history_days, idempotency keys
-- older than p_idempotency_hours, notifications read more than p_notification_days ago; at most
-- p_batch rows of each, oldest first, so that no lock is held long. Call it until it answers 0s.
create or replace function public.prune_batch(
  p_history_days integer, p_idempotency_hours integer, p_notification_days integer, p_batch integer default 5000)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_history bigint;
  v_keys bigint;
  v_notifications bigint;
begin
  delete from public.progress_history where id in (
    select id from public.progress_history where created_at < now() - make_interval(days => p_history_days)
    order by created_at limit p_batch for update skip locked);
  get diagnostics v_history = row_count;
  delete from public.idempotency_keys where (learner_id, key) in (
    select learner_id, key from public.idempotency_keys where created_at < now() - make_interval(hours => p_idempotency_hours)
    order by created_at limit p_batch for update skip locked);
  get diagnostics v_keys = row_count;
  delete from public.notifications where id in (
    select id from public.notifications where read_at < now() - make_interval(days => p_notification_days)
    order by read_at limit p_batch for update skip locked);
  get diagnostics v_notifications = row_count;
  return jsonb_build_object('progressHistory', v_history, 'idempotencyKeys', v_keys, 'notifications', v_notifications);
end;
$$;

-- The filter of the retention batch over read notifications.
create index notifications_read_at on public.notifications (read_at) where read_at is not null;
