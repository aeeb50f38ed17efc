"""The learner check riding in the request's own calls: PostgREST's pre-request hook
(private.check_request) refuses a service call whose learner may no longer act, so a token costs
no call of its own, and a deleted or erased learner is refused at once, not a minute later."""

from __future__ import annotations

import time

import httpx
import pytest

from devstack.stack import ANON_KEY, SERVICE_ROLE_KEY
from tests.conftest import supabase_token
from tests.test_platform import make_account

NO_ONE = "00000000-0000-0000-0000-000000000000"


def health_call(stack, key: str, learner_check: str | None):
    """A call of public.service_health straight to PostgREST, with `key` and the header."""
    headers = {"apikey": key, "Authorization": f"Bearer {key}",
               **({"X-Learner-Check": learner_check} if learner_check else {})}
    return httpx.post(f"{stack.supabase_url}/rest/v1/rpc/service_health", headers=headers, json={})


def test_postgrest_refuses_a_service_call_whose_learner_may_not_act(stack, db):
    assert health_call(stack, SERVICE_ROLE_KEY, None).status_code == 200
    refused = health_call(stack, SERVICE_ROLE_KEY, f"account:{NO_ONE}")
    assert refused.status_code == 401 and '"account_deleted"' in refused.json()["details"]

    erased = make_account(db)
    db.execute("insert into private.erased_learners (id) values (%s)", (erased["id"],))
    assert health_call(stack, SERVICE_ROLE_KEY, f"account:{erased['id']}").status_code == 401
    living = make_account(db)
    assert health_call(stack, SERVICE_ROLE_KEY, f"account:{living['id']}").status_code == 200


def test_no_one_else_may_ask_about_a_learner(stack, db):
    """The header from anon or a learner's token is ignored: it cannot probe other learners."""
    token = supabase_token(make_account(db)["id"])
    for key in (ANON_KEY, token):
        response = httpx.post(f"{stack.supabase_url}/rest/v1/rpc/published_catalog",
                              headers={"apikey": ANON_KEY, "Authorization": f"Bearer {key}",
                                       "X-Learner-Check": f"account:{NO_ONE}"}, json={})
        assert response.status_code == 200, response.text


# A read, and a view that calls nothing of its own (the check is then a call made for it).
@pytest.mark.parametrize("path", ["/api/progress/summary", "/api/identity"])
def test_a_deleted_account_is_refused_at_once(client, db, path):
    account = make_account(db)
    assert client.get(path, headers=account["headers"]).status_code == 200
    db.execute("delete from auth.users where id = %s", (account["id"],))
    gone = client.get(path, headers=account["headers"])
    assert gone.status_code == 401 and gone.json["code"] == "account_deleted"


def test_a_token_on_a_public_endpoint_is_not_held_against_it(client, db):
    """A public page answers a caller whose token no longer works, as it answers anyone."""
    account = make_account(db)
    db.execute("delete from auth.users where id = %s", (account["id"],))
    assert client.get("/api/courses", headers=account["headers"]).status_code == 200


@pytest.fixture
def without_the_hook(stack, db):
    """The database as a project that never set pgrst.db_pre_request has it."""
    def hook_runs() -> bool:
        return health_call(stack, SERVICE_ROLE_KEY, f"account:{NO_ONE}").status_code == 401

    db.execute("alter role authenticator reset pgrst.db_pre_request")
    db.execute("notify pgrst, 'reload config'")
    wait_for(lambda: not hook_runs())
    try:
        yield
    finally:
        db.execute("alter role authenticator set pgrst.db_pre_request = 'private.check_request'")
        db.execute("notify pgrst, 'reload config'")
        wait_for(hook_runs)


def wait_for(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "PostgREST did not reload its configuration"
        time.sleep(0.1)


def test_without_the_hook_each_learner_is_checked_with_a_call_of_its_own(without_the_hook, make_app, db, capsys):
    client = make_app().test_client()
    account = make_account(db)
    assert client.get("/api/progress/summary", headers=account["headers"]).status_code == 200
    assert "pgrst.db_pre_request" in capsys.readouterr().err, "the service says it falls back"
    db.execute("delete from auth.users where id = %s", (account["id"],))
    # A yes is remembered for IDENTITY_RECHECK_SECONDS; a token not seen yet is checked now.
    fresh = make_app().test_client()
    gone = fresh.get("/api/progress/summary", headers=account["headers"])
    assert gone.status_code == 401 and gone.json["code"] == "account_deleted"
