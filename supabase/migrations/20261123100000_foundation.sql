-- Foundation: what every later file relies on.
-- Owns: the `private` schema, default privileges (no function is callable by anon or
-- authenticated unless a file grants it on purpose), the error / time / percent helpers, the
-- updated_at trigger function, learners and profiles (who people are), the role checks RLS
-- policies use, and the two service functions that need nothing else.
-- Relies on: Supabase's roles and `auth` schema (hosted, `supabase start`, or supabase/local).

/** Section - Privileges */
create schema if not exists private;
revoke all on schema private from public, anon, authenticated;
grant usage on schema private to service_role;
-- Policies call private.is_admin() and private.is_instructor() as the caller: usage only, and
-- execute on exactly those two (below).
grant usage on schema private to anon, authenticated;

-- Functions created from here on are callable by the service role only; each grant to anon or
-- authenticated is written next to its function. (PUBLIC's execute is a global default, so it
-- is revoked globally; anon's and authenticated's come from Supabase's per-schema defaults.)
alter default privileges for role postgres revoke execute on functions from public;
alter default privileges for role postgres in schema public revoke execute on functions from anon, authenticated;

/** Section - Helpers every file uses */

-- Raise an error PostgREST turns into HTTP `status`, with a machine code and details for clients.
create or replace function private.fail(status integer, code text, message text, details jsonb default '{}')
returns void
language plpgsql
set search_path = ''
as $$
begin
  raise exception using
    errcode = 'PT' || status,
    message = message,
    detail = jsonb_build_object('code', code, 'details', details)::text;
end;
$$;

-- Every timestamp leaves the database as ISO 8601 UTC with milliseconds, as browsers write them.
create or replace function private.iso(ts timestamptz)
returns text
language sql
immutable
begin atomic
  select to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
end;

-- Floored, so that 100 means every lesson is done.
create or replace function private.percent(completed bigint, total bigint)
returns integer
language sql
immutable
begin atomic
  select case when total = 0 then 0 else (100 * completed / total)::integer end;
end;

create or replace function private.rollup_status(completed bigint, total bigint, touched boolean)
returns text
language sql
immutable
begin atomic
  select case
    when total > 0 and completed = total then 'completed'
    when completed > 0 or touched then 'in-progress'
    else 'not-started'
  end;
end;

create or replace function private.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

/** Section - Learners */
-- Accounts are Supabase Auth users (id = auth.users.id); browser learners are the anonymous
-- UUIDs kept in localStorage (seed 000), registered once. A claimed browser learner is retired
-- into the account that claimed it. Points, streaks and the time zone belong to every learner.
create table public.learners (
  id uuid primary key,
  kind text not null check (kind in ('account', 'browser')),
  created_at timestamptz not null default now(),
  claimed_by uuid references public.learners (id) on delete set null,
  claimed_at timestamptz,
  points integer not null default 0 check (points >= 0),
  streak_days integer not null default 0 check (streak_days >= 0),
  last_active_on date,
  -- The learner's chosen zone. Days count for streaks in the zone in force: a change takes over
  -- only at the next midnight of the zone it replaces (time_zone_from), so that switching
  -- zones back and forth can never create days (private.zone_in_force).
  time_zone text not null default 'UTC',
  streak_time_zone text not null default 'UTC',
  time_zone_from timestamptz
);
comment on table public.learners is 'Every learner with recorded progress: Supabase accounts and anonymous browser UUIDs.';
create index learners_points on public.learners (points desc);

-- Nothing is written for, or read in open mode by, an identity that cannot act: an account
-- whose Supabase user is gone (401), an id of the other kind (an anonymous caller naming an
-- account: 403), or a browser learner already claimed into an account (409: its client should
-- switch to the account).
create or replace function private.require_active_learner(p_learner_id uuid, p_kind text)
returns public.learners
language plpgsql
stable
set search_path = ''
as $$
declare
  v_learner public.learners;
begin
  select * into v_learner from public.learners where id = p_learner_id;
  -- A browser learner's row proves the id is no account's (registration refuses account ids);
  -- only an account, or an id not seen yet, needs a look at auth.users.
  if p_kind = 'account' and not exists (select 1 from auth.users where id = p_learner_id) then
    perform private.fail(401, 'account_deleted', 'This account no longer exists.', '{}');
  end if;
  if v_learner.kind <> p_kind
     or (v_learner.id is null and p_kind = 'browser' and exists (select 1 from auth.users where id = p_learner_id)) then
    perform private.fail(403, 'not_a_browser_learner', 'This id belongs to an account: sign in to use it.', '{}');
  end if;
  if v_learner.claimed_by is not null then
    perform private.fail(409, 'learner_claimed',
      'This anonymous learner was claimed into an account: sign in to that account.',
      jsonb_build_object('claimedAt', private.iso(v_learner.claimed_at)));
  end if;
  return v_learner;
end;
$$;

-- Every progress write calls this first: accounts appear on their first write, browser
-- learners must have registered (or the service runs in open mode and registers them here).
create or replace function private.ensure_learner(p_learner_id uuid, p_kind text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if (private.require_active_learner(p_learner_id, p_kind)).id is null then
    insert into public.learners (id, kind) values (p_learner_id, p_kind)
    on conflict (id) do nothing;
  end if;
end;
$$;

/** Section - Profiles and roles (seed 001) */
-- The same rules as PATCH /api/me, for writes straight through PostgREST too: names without
-- markup, control or direction-override characters, avatars on http(s) only.
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  username text not null unique check (username ~ '^[A-Za-z0-9_.-]{3,50}$'),
  full_name text not null default '' check (
    char_length(full_name) <= 200 and full_name !~ '[<>[:cntrl:]\u200e\u200f\u202a-\u202e\u2066-\u2069]'),
  avatar_url text check (char_length(avatar_url) <= 1000 and avatar_url ~* '^https?://[^[:space:]<>"]+$'),
  role text not null default 'student' check (role in ('student', 'instructor', 'admin')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Supabase's usual pattern: a profile (and a learner) for every new auth user.
create or replace function private.create_profile_for_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_meta jsonb := coalesce(new.raw_user_meta_data, '{}');
  v_username text := case when v_meta ->> 'username' ~ '^[A-Za-z0-9_.-]{3,41}$' then v_meta ->> 'username'
                          else 'learner-' || left(new.id::text, 8) end;
begin
  insert into public.learners (id, kind) values (new.id, 'account') on conflict do nothing;
  -- Sign-up metadata is the user's own text: kept only where it meets the profile's rules.
  insert into public.profiles (id, username, full_name, avatar_url)
  values (new.id,
          case when exists (select 1 from public.profiles where username = v_username)
               then v_username || '-' || left(new.id::text, 8) else v_username end,
          left(regexp_replace(coalesce(v_meta ->> 'full_name', ''),
                              '[<>[:cntrl:]\u200e\u200f\u202a-\u202e\u2066-\u2069]', '', 'g'), 200),
          case when v_meta ->> 'avatar_url' ~* '^https?://[^[:space:]<>"]+$' and char_length(v_meta ->> 'avatar_url') <= 1000
               then v_meta ->> 'avatar_url' end);
  return new;
end;
$$;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function private.create_profile_for_user();
-- The public profile policy's filter.
create index profiles_instructors on public.profiles (id) where role = 'instructor';

create trigger profiles_updated_at before update on public.profiles
  for each row execute function private.touch_updated_at();

-- Admins: a profile role of admin, or app_metadata.role (set by the service role) of admin.
create or replace function private.is_admin()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce((select auth.jwt()) -> 'app_metadata' ->> 'role' = 'admin', false)
      or exists (select 1 from public.profiles where id = (select auth.uid()) and role = 'admin');
$$;

create or replace function private.is_instructor()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (select 1 from public.profiles where id = (select auth.uid()) and role in ('instructor', 'admin'));
$$;
grant execute on function private.is_admin(), private.is_instructor() to anon, authenticated;

/** Section - RLS Policies */
alter table public.learners enable row level security;
alter table public.profiles enable row level security;

create policy "Learners can see their own learner row"
  on public.learners for select to authenticated
  using (id = (select auth.uid()));
-- Learners' profiles are private (their ids are account ids: never listed to the public);
-- instructors' are public, as their courses name them (seed 001's instructor embed).
create policy "Instructors' profiles are visible to everyone"
  on public.profiles for select to anon, authenticated
  using (role = 'instructor');
create policy "Learners see their own profile"
  on public.profiles for select to authenticated
  using (id = (select auth.uid()));
create policy "Learners edit their own profile"
  on public.profiles for update to authenticated
  using (id = (select auth.uid())) with check (id = (select auth.uid()));

/** Section - Column privileges */
-- The public reads what a profile card shows; learners edit their names and avatar, never their
-- role; profiles are created by the auth trigger only. Learners are written by the service only.
revoke insert, update, delete on public.learners from anon, authenticated;
revoke select, insert, update, delete on public.profiles from anon;
grant select (id, username, full_name, avatar_url) on public.profiles to anon;
revoke insert, update, delete on public.profiles from authenticated;
grant update (username, full_name, avatar_url) on public.profiles to authenticated;

/** Section - Service functions */

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

-- Open mode (ANONYMOUS_LEARNERS=open) names a learner by `userId` alone: the service checks
-- that it is a browser learner that may act before it reads or writes anything for it.
create or replace function public.check_browser_learner(p_learner_id uuid)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_active_learner(p_learner_id, 'browser');
end;
$$;
