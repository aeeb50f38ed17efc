"""Rate limits: keyed by the verified learner, else the address; 429 in the common shape. Each
holds counted in memory and in Redis, where the app counts the usual request itself
(extensions.RedisWindowCounter) in the key and with the script limits uses."""

from __future__ import annotations

import uuid

import pytest
import redis
from limits import parse

from extensions import KEY_PREFIX
from tests.conftest import bearer


@pytest.fixture(params=["memory", "redis"])
def limited(request, make_app, stack):
    """An app with limits on, counted in memory or in the stack's Redis (emptied: fresh windows)."""
    store = "memory://" if request.param == "memory" else stack.redis_url
    if request.param == "redis":
        with redis.Redis.from_url(store) as emptied:
            emptied.flushdb()
    return lambda **settings: make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=store, **settings)


def learner(client) -> tuple[str, dict]:
    """A new browser learner: its id, and the headers that carry its token."""
    registered = client.post("/api/learners", json={"userId": str(uuid.uuid4())}).json
    return registered["learnerId"], bearer(registered["token"])


def test_429_with_retry_after_once_the_limit_is_spent(limited):
    client = limited(RATELIMIT_DEFAULT="3 per minute").test_client()
    _, token = learner(client)
    statuses = [client.get("/api/identity", headers=token).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/identity", headers=token)
    assert refused.json["code"] == "rate_limited" and refused.json["status"] == 429
    # When the minute's window resets (in whole seconds, rounded up), not the generic
    # RETRY_AFTER_SECONDS of an outage.
    assert 2 < int(refused.headers["Retry-After"]) <= 61
    assert (refused.headers["X-RateLimit-Limit"], refused.headers["X-RateLimit-Remaining"]) == ("3", "0")


def test_limits_are_per_learner_not_per_address(limited):
    client = limited(RATELIMIT_DEFAULT="2 per minute").test_client()
    (_, first), (_, second) = learner(client), learner(client)
    assert [client.get("/api/identity", headers=first).status_code for _ in range(3)][-1] == 429
    assert client.get("/api/identity", headers=second).status_code == 200


def test_health_is_never_rate_limited(limited):
    client = limited(RATELIMIT_DEFAULT="1 per minute").test_client()
    assert {client.get("/health").status_code for _ in range(3)} == {200}


def test_a_route_with_its_own_limit_counts_against_that_limit_alone(limited):
    client = limited(RATELIMIT_DEFAULT="1 per minute",
                     RATELIMIT_TUTORIAL_READ="3 per minute").test_client()
    _, token = learner(client)
    reads = [client.get("/v1/tutorials/progress/intro-to-sql", headers=token).status_code for _ in range(4)]
    assert reads == [200, 200, 200, 429], "the route's own limit, not the default's 1 per minute"
    # Each route has its own count: the spent tutorial limit leaves the learner's other routes alone.
    assert [client.get("/api/identity", headers=token).status_code for _ in range(2)] == [200, 429]


def test_a_limit_setting_that_is_not_a_rate_stops_the_app_at_start_and_names_itself(make_app):
    """Not a 500 on every request of its routes, nor a traceback: one line naming the setting."""
    with pytest.raises(SystemExit, match="RATELIMIT_WRITE='often' is not a rate limit"):
        make_app(RATELIMIT_ENABLED=True, RATELIMIT_WRITE="often")


def test_a_setting_with_several_limits_holds_every_one_of_them(limited):
    """flask-limiter's syntax takes several limits in one setting; the tightest one refuses."""
    client = limited(RATELIMIT_DEFAULT="5 per minute; 3 per hour").test_client()
    _, token = learner(client)
    assert [client.get("/api/identity", headers=token).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_a_request_counted_in_redis_is_counted_where_limits_reads_it(make_app, stack):
    """The app's own count and limits' view of the window are one: same key, same expiry."""
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=stack.redis_url, RATELIMIT_DEFAULT="5 per minute")
    client = app.test_client()
    learner_id, token = learner(client)
    assert [client.get("/api/identity", headers=token).status_code for _ in range(3)] == [200] * 3
    limiter, limit = app.extensions["rate_limits"], parse("5 per minute")
    identifiers = (KEY_PREFIX, f"learner:{learner_id}", "identity.identity")
    assert limiter.limiter.get_window_stats(limit, *identifiers).remaining == 2
    with redis.Redis.from_url(stack.redis_url) as store:
        assert 0 < store.ttl(limiter.storage.prefixed_key(limit.key_for(*identifiers))) <= 60


def test_counting_in_redis_goes_on_when_the_store_has_forgotten_its_script(make_app, stack):
    """A Redis restarted (or told SCRIPT FLUSH) no longer has limits' script: that request is
    counted by flask-limiter's check, which loads the script again, and none is counted twice."""
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=stack.redis_url,
                      RATELIMIT_DEFAULT="4 per minute").test_client()
    _, token = learner(client)
    statuses = [client.get("/api/identity", headers=token).status_code for _ in range(2)]
    with redis.Redis.from_url(stack.redis_url) as store:
        store.script_flush()
    statuses += [client.get("/api/identity", headers=token).status_code for _ in range(3)]
    assert statuses == [200] * 4 + [429]
