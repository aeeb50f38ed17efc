"""Token verification: Supabase access tokens (HS256, ES256, RS256) and learner tokens."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest

from tests.conftest import bearer, supabase_token


def identity(client, token):
    return client.get("/api/identity", headers=bearer(token))


def test_supabase_hs256_token_is_an_account(client, account):
    user_id = account["id"]
    response = identity(client, supabase_token(user_id))
    assert response.status_code == 200
    assert response.json == {"learnerId": user_id, "kind": "account", "anonymous": False}


def test_supabase_anonymous_sign_in_is_a_learner_like_any_other(client, account):
    response = identity(client, supabase_token(account["id"], is_anonymous=True))
    assert response.status_code == 200
    assert response.json["kind"] == "account" and response.json["anonymous"] is True


@pytest.mark.parametrize("algorithm,key_name,kid", [("ES256", "ec", "ec-1"), ("RS256", "rsa", "rsa-1")])
def test_asymmetric_tokens_are_verified_through_the_jwks(client, signing_keys, account, algorithm, key_name, kid):
    key = getattr(signing_keys, key_name)
    response = identity(client, supabase_token(account["id"], key=key, algorithm=algorithm, kid=kid))
    assert response.status_code == 200, response.json


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = str(uuid.uuid4())
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _alg_none(sub: str) -> str:
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = {"sub": sub, "aud": "authenticated", "exp": int(time.time()) + 3600}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


BAD_TOKENS = {
    "expired": lambda keys: supabase_token(exp=int(time.time()) - 10),
    "wrong audience": lambda keys: supabase_token(aud="someone-else"),
    "no expiry": lambda keys: supabase_token(exp=None),
    "subject not a uuid": lambda keys: supabase_token("not-a-uuid"),
    "wrong algorithm": lambda keys: supabase_token(algorithm="HS384"),
    "alg none": lambda keys: _alg_none(str(uuid.uuid4())),
    "bad signature": lambda keys: _tampered(supabase_token()),
    "wrong secret": lambda keys: supabase_token(key="another-secret-that-is-at-least-32-chars!"),
    "unknown key id": lambda keys: supabase_token(key=keys.ec, algorithm="ES256", kid="nobody"),
    "unpublished key": lambda keys: supabase_token(key=keys.unpublished_ec, algorithm="ES256", kid="ec-1"),
    "key of another algorithm": lambda keys: supabase_token(key=keys.ec, algorithm="ES256", kid="rsa-1"),
    "garbage": lambda keys: "not.a.token",
}


@pytest.mark.parametrize("case", BAD_TOKENS)
def test_bad_tokens_are_401(client, signing_keys, case):
    response = identity(client, BAD_TOKENS[case](signing_keys))
    assert response.status_code == 401, (case, response.json)
    assert response.json["code"] == "unauthorized"


def test_authorization_must_be_a_bearer_token(client):
    assert client.get("/api/identity", headers={"Authorization": "Basic abc"}).status_code == 401


def test_anonymous_registration_returns_a_token_that_identifies_the_learner(client):
    user_id = str(uuid.uuid4())
    registered = client.post("/api/learners", json={"userId": user_id})
    assert registered.status_code == 201
    assert registered.json["learnerId"] == user_id and registered.json["tokenType"] == "Bearer"
    response = identity(client, registered.json["token"])
    assert response.json == {"learnerId": user_id, "kind": "browser", "anonymous": True}


def test_learner_tokens_are_refused_when_anonymous_learners_are_off(make_app, browser_learner):
    client = make_app(ANONYMOUS_LEARNERS="off").test_client()
    assert client.get("/api/identity", headers=browser_learner["headers"]).status_code == 401


def test_open_mode_accepts_the_uuid_alone(make_app):
    client = make_app(ANONYMOUS_LEARNERS="open").test_client()
    user_id = str(uuid.uuid4())
    response = client.get(f"/api/identity?userId={user_id}")
    assert response.status_code == 200 and response.json["learnerId"] == user_id
    assert client.get("/api/identity?userId=anon-123").status_code == 400
    assert client.get("/api/identity").status_code == 401


def test_token_mode_refuses_the_uuid_alone(client):
    assert client.get(f"/api/identity?userId={uuid.uuid4()}").status_code == 401


def test_learner_tokens_work_straight_against_postgrest(stack, browser_learner):
    """The learner token is a real Supabase-style JWT: PostgREST and RLS accept it."""
    import httpx

    from devstack.stack import ANON_KEY

    response = httpx.get(
        f"{stack.supabase_url}/rest/v1/learners",
        headers={"apikey": ANON_KEY, **browser_learner["headers"]},
    )
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [browser_learner["id"]]


def test_decoded_learner_token_claims(client):
    registered = client.post("/api/learners", json={"userId": str(uuid.uuid4())}).json
    claims = jwt.decode(registered["token"], options={"verify_signature": False})
    assert claims["aud"] == "authenticated" and claims["role"] == "authenticated"
    assert claims["is_anonymous"] is True and claims["exp"] > time.time()


def test_a_remembered_token_still_expires(client, account):
    """Verified tokens are remembered per process, but never past their expiry."""
    token = supabase_token(account["id"], exp=int(time.time()) + 2)
    assert identity(client, token).status_code == 200
    assert identity(client, token).status_code == 200
    time.sleep(max(0.0, jwt.decode(token, options={"verify_signature": False})["exp"] - time.time()) + 0.1)
    response = identity(client, token)
    assert response.status_code == 401 and "expired" in response.json["error"]
