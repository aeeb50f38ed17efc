"""Fixtures: the real local stack (never a mock), the app bound to it, learners and tokens.

`make test` starts a throwaway stack and passes it in DEVSTACK_STATE; a bare `pytest` starts
its own. Either way every request crosses nginx, PostgREST and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import jwt
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app import create_app
from devstack.stack import JWT_SECRET, SERVICE_ROLE_KEY, Stack, release_children


@pytest.fixture(scope="session")
def stack():
    state = os.environ.get("DEVSTACK_STATE")
    if state:
        yield Stack.from_state(state)
        release_children()  # `devstack test` owns the stack, and stops what runs in it
        return
    root = Path(tempfile.mkdtemp(prefix="progress-pytest-"))
    os.chmod(root, 0o755)
    own = Stack.throwaway_stack(root)
    try:
        own.start(seed=True)  # inside: a start that fails half-way stops what it started
        yield own
    finally:
        own.stop()
        shutil.rmtree(root, ignore_errors=True)


def stack_config(stack: Stack, **overrides) -> dict:
    return {
        "TESTING": True,
        "SUPABASE_URL": stack.supabase_url,
        "SUPABASE_SERVICE_ROLE_KEY": SERVICE_ROLE_KEY,
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "RATELIMIT_ENABLED": False,
        # Each test app counts on its own (the environment of `devstack test` names the stack's
        # Redis, which the two-worker test uses explicitly).
        "RATELIMIT_STORAGE_URI": "memory://",
        "ANONYMOUS_LEARNERS": "token",
        **overrides,
    }


def close_app(app) -> None:
    """Close the app's HTTP connection pool (a process closes it on exit; tests make many apps)."""
    app.extensions["supabase"].options.httpx_client.close()


@pytest.fixture(scope="session")
def app(stack):
    app = create_app(stack_config(stack))
    yield app
    close_app(app)


@pytest.fixture
def make_app(stack):
    """An app with its own settings (rate limits on, identity modes, ...)."""
    made = []

    def make(**overrides):
        made.append(create_app(stack_config(stack, **overrides)))
        return made[-1]

    yield make
    for app in made:
        close_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(stack):
    """A superuser connection for assertions about what is really stored (per test, so that a
    test that restarts the database leaves the next one a working connection)."""
    with psycopg.connect(stack.superuser_url, autocommit=True) as conn:
        yield conn


# ----- learners and tokens ----------------------------------------------------------------------
class Keys:
    """Signing keys published through the gateway's JWKS, as an asymmetric project has them."""

    def __init__(self, stack: Stack):
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.unpublished_ec = ec.generate_private_key(ec.SECP256R1())
        keys = [
            {**json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.ec.public_key())), "kid": "ec-1", "alg": "ES256", "use": "sig"},
            {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.rsa.public_key())), "kid": "rsa-1", "alg": "RS256", "use": "sig"},
        ]
        (stack.root / "jwks.json").write_text(json.dumps({"keys": keys}))


@pytest.fixture(scope="session")
def signing_keys(stack):
    return Keys(stack)


def supabase_token(sub: str | None = None, *, key=JWT_SECRET, algorithm="HS256", kid=None, **claims) -> str:
    """A token shaped like Supabase Auth's access tokens."""
    now = int(time.time())
    payload = {
        "sub": sub or str(uuid.uuid4()),
        "aud": "authenticated",
        "role": "authenticated",
        "iss": "http://127.0.0.1:54321/auth/v1",
        "iat": now,
        "exp": now + 3600,
        "is_anonymous": False,
        **claims,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    headers = {"kid": kid} if kid else None
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def account(db):
    """A signed-in Supabase account: an auth.users row and its HS256 access token."""
    user_id = str(uuid.uuid4())
    db.execute(
        "insert into auth.users (id, aud, role, email) values (%s, 'authenticated', 'authenticated', %s)",
        (user_id, f"{user_id[:8]}@example.test"),
    )
    return {"id": user_id, "headers": bearer(supabase_token(user_id))}


@pytest.fixture
def browser_learner(client):
    """An anonymous browser learner registered through the API, with its learner token."""
    user_id = str(uuid.uuid4())
    response = client.post("/api/learners", json={"userId": user_id})
    assert response.status_code == 201, response.json
    return {"id": user_id, "headers": bearer(response.json["token"])}
