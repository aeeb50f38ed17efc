"""Rate limits: keyed by the verified learner, else the address; 429 in the common shape."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import bearer


def test_429_with_retry_after_once_the_limit_is_spent(make_app):
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="3 per minute").test_client()
    token = bearer(client.post("/api/learners", json={"userId": str(uuid.uuid4())}).json["token"])
    statuses = [client.get("/api/identity", headers=token).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/identity", headers=token)
    assert limited.json["code"] == "rate_limited" and limited.json["status"] == 429
    # When the minute's window resets (in whole seconds, rounded up), not the generic
    # RETRY_AFTER_SECONDS of an outage.
    assert 2 < int(limited.headers["Retry-After"]) <= 61
    assert (limited.headers["X-RateLimit-Limit"], limited.headers["X-RateLimit-Remaining"]) == ("3", "0")


def test_limits_are_per_learner_not_per_address(make_app):
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute").test_client()
    first, second = (
        bearer(client.post("/api/learners", json={"userId": str(uuid.uuid4())}).json["token"])
        for _ in range(2)
    )
    assert [client.get("/api/identity", headers=first).status_code for _ in range(3)][-1] == 429
    assert client.get("/api/identity", headers=second).status_code == 200


def test_health_is_never_rate_limited(make_app):
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="1 per minute").test_client()
    assert {client.get("/health").status_code for _ in range(3)} == {200}


def test_a_route_with_its_own_limit_counts_against_that_limit_alone(make_app):
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="1 per minute",
                      RATELIMIT_TUTORIAL_READ="3 per minute").test_client()
    token = bearer(client.post("/api/learners", json={"userId": str(uuid.uuid4())}).json["token"])
    reads = [client.get("/v1/tutorials/progress/intro-to-sql", headers=token).status_code for _ in range(4)]
    assert reads == [200, 200, 200, 429], "the route's own limit, not the default's 1 per minute"
    # Each route has its own count: the spent tutorial limit leaves the learner's other routes alone.
    assert [client.get("/api/identity", headers=token).status_code for _ in range(2)] == [200, 429]


def test_a_limit_setting_that_is_not_a_rate_stops_the_app_at_start_and_names_itself(make_app):
    """Not a 500 on every request of its routes, nor a traceback: one line naming the setting."""
    with pytest.raises(SystemExit, match="RATELIMIT_WRITE='often' is not a rate limit"):
        make_app(RATELIMIT_ENABLED=True, RATELIMIT_WRITE="often")


def test_a_setting_with_several_limits_holds_every_one_of_them(make_app):
    """flask-limiter's syntax takes several limits in one setting; the tightest one refuses."""
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="5 per minute; 3 per hour").test_client()
    token = bearer(client.post("/api/learners", json={"userId": str(uuid.uuid4())}).json["token"])
    assert [client.get("/api/identity", headers=token).status_code for _ in range(4)] == [200, 200, 200, 429]
