-- The learner check in the same call: PostgREST's pre-request hook refuses a call of this service
-- whose learner may no longer act, so that trusting a token costs no call of its own.
-- Owns: private.check_request and the `pgrst.db_pre_request` setting of the authenticator role.
-- Relies on: data_rights (public.check_identity).

-- PostgREST runs this in every request's transaction, before the request's own statement, as
-- the request's role. A call by the service role that names its learner in the header
-- `X-Learner-Check: <kind>:<uuid>` (services/supabase.py) fails as public.check_identity fails
-- (401: account deleted, learner erased). Any other role's header is ignored: no one else may
-- ask the database about someone else's learner.
create or replace function private.check_request()
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
  v_learner text := nullif(current_setting('request.headers', true), '')::json ->> 'x-learner-check';
begin
  if v_learner is not null and current_user = 'service_role' then
    perform public.check_identity(split_part(v_learner, ':', 2)::uuid, split_part(v_learner, ':', 1));
  end if;
end;
$$;
grant execute on function private.check_request() to anon, authenticated, service_role;

-- Hosted Supabase lets `postgres` name the hook (as its documentation does); the local stack's
-- bootstrap grants the same. A database that refuses it still works: the service finds the hook
-- missing and checks each learner with a call of its own (services/identity.py).
do $$
begin
  alter role authenticator set pgrst.db_pre_request = 'private.check_request';
  notify pgrst, 'reload config';
exception when insufficient_privilege then
  raise warning 'pgrst.db_pre_request not set (%): the service will check learners with calls of their own', sqlerrm;
end
$$;
