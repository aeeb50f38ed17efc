-- Learners: everyone whose progress the service records, keyed by the id RLS sees as auth.uid().
-- Accounts are Supabase Auth users (id = auth.users.id); browser learners are the anonymous UUIDs
-- kept in localStorage (seed 000), registered once.

/** Section - Schemas */
create schema if not exists private;
revoke all on schema private from public, anon, authenticated;
grant usage on schema private to service_role;

/** Section - Tables */
create table public.learners (
  id uuid primary key,
  kind text not null check (kind in ('account', 'browser')),
  created_at timestamptz not null default now()
);
comment on table public.learners is 'Every learner with recorded progress: Supabase accounts and anonymous browser UUIDs.';

/** Section - RLS Policies */
alter table public.learners enable row level security;

create policy "Learners can see their own learner row"
  on public.learners for select to authenticated
  using (id = (select auth.uid()));

/** Section - Private functions */

-- Every progress write calls this first: accounts appear on their first write, browser
-- learners must have registered (or the service runs in open mode and registers them here).
create or replace function private.ensure_learner(p_learner_id uuid, p_kind text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.learners (id, kind) values (p_learner_id, p_kind)
  on conflict (id) do nothing;
end;
$$;
revoke execute on function private.ensure_learner(uuid, text) from public, anon, authenticated;

/** Section - Public functions */

create or replace function public.register_browser_learner(p_learner_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- A UUID already taken by a learner or a Supabase account cannot be claimed anonymously.
  if exists (select 1 from public.learners where id = p_learner_id)
     or exists (select 1 from auth.users where id = p_learner_id) then
    raise sqlstate 'PT409' using
      message = 'This learner id is already registered.',
      detail = '{"code": "learner_exists"}';
  end if;
  insert into public.learners (id, kind) values (p_learner_id, 'browser');
end;
$$;
revoke execute on function public.register_browser_learner(uuid) from public, anon, authenticated;
grant execute on function public.register_browser_learner(uuid) to service_role;

create or replace function public.service_health()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object('migration', max(version))
  from supabase_migrations.schema_migrations;
$$;
revoke execute on function public.service_health() from public, anon, authenticated;
grant execute on function public.service_health() to service_role;
