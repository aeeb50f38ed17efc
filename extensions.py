"""Rate limiting: one flask-limiter per app, applied from each view's declaration.

Views declare `@endpoint(limit="RATELIMIT_WRITE")` or `@endpoint(exempt=True)`;
`init_rate_limits(app)` applies them with that app's settings once every blueprint is
registered. (A module-level Limiter would keep the first app's defaults and `enabled` flag for
every later app.) Every route counts in its own window, against its declared limit or else
RATELIMIT_DEFAULT. That one limit is flask-limiter's default limit, given as a function of the
request's endpoint.

Each request is counted once, by flask-limiter's strategy in flask-limiter's store, under the key
flask-limiter's own check uses. The usual request (a route with a limit, the store up, the limit
not spent) is counted by `count_request` with the route's limit parsed at start (in Redis, by
`RedisWindowCounter`, in limits' key and with limits' script), and flask-limiter's request hooks
do not run for it. Its full check works out afresh, per request,
which of its limits apply (blueprint, exemption and meta limits this service does not use): half
of the API's own work per request (BENCHMARKS.md round 11); even told by a request filter to let
a request pass, its three hooks cost a quarter (round 15). Everything else is left to those hooks
as before: they refuse a spent limit (counting the refused request once more, which a fixed
window ignores), fall back to memory when the store fails, and probe the store until it is back.

The X-RateLimit-* headers and an exact Retry-After come with a 429 only: on every other answer
they cost two more round trips to the limits' store (a third of a worker's time in `make bench`).
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from limits import RateLimitItem, parse_many
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter

KEY_PREFIX = "learner-progress"


def rate_limit_key() -> str:
    """The verified learner when there is one, else the client address."""
    learner = g.get("learner")
    return f"learner:{learner.id}" if learner else f"ip:{request.remote_addr}"


def init_rate_limits(app: Flask) -> Limiter:
    declarations = {name: getattr(view, "declaration", None) for name, view in app.view_functions.items()}
    # A route's own setting, else (also when its own is empty) RATELIMIT_DEFAULT, as before.
    settings = {name: declared.limit if declared and declared.limit and app.config[declared.limit]
                else "RATELIMIT_DEFAULT"
                for name, declared in declarations.items()
                if name != "static" and not (declared and declared.exempt)}
    parsed = {name: rate(app, setting) for name, setting in settings.items()}
    limiter: Limiter

    def route_limit() -> str:
        """The limit the request's route declares, else the default (flask-limiter's check)."""
        return app.config[settings.get(request.endpoint, "RATELIMIT_DEFAULT")]

    def count_request() -> None:
        """Count the usual request here; leave the rest to flask-limiter's check (module docstring)."""
        limits = parsed.get(request.endpoint)
        if not limits or not limiter.enabled:
            return  # exempt, unrouted or unlimited, or limits off
        counting = limiter.limiter
        if counting.storage is not limiter.storage:
            return  # the store is down: counted in memory
        hit = redis_counter.hit if redis_counter else counting.hit
        key = rate_limit_key()
        try:
            # Every limit of the setting counted, as flask-limiter counts them; passed only if all allow it.
            g.rate_limit_counted = all([hit(limit, KEY_PREFIX, key, request.endpoint) for limit in limits])
        except limiter.storage.base_exceptions:
            return  # the store failed: flask-limiter's check falls back to memory

    app.before_request(count_request)  # before flask-limiter's own hook, which the Limiter adds
    registries = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    earlier = [list(registry.get(None, ())) for registry in registries]
    limiter = Limiter(
        key_func=rate_limit_key,
        app=app,
        default_limits=[route_limit],
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        enabled=app.config["RATELIMIT_ENABLED"],
        headers_enabled=False,  # see refused_headers
        in_memory_fallback_enabled=True,
        key_prefix=KEY_PREFIX,
    )
    redis_counter = RedisWindowCounter.for_limiter(limiter)
    for registry, hooks in zip(registries, earlier):
        registry[None] = [hook if hook in hooks else unless_counted(hook) for hook in registry[None]]
    for name, declared in declarations.items():
        if declared and declared.exempt:
            app.view_functions[name] = limiter.exempt(app.view_functions[name])
    app.extensions["rate_limits"] = limiter
    return limiter


class RedisWindowCounter:
    """Counts a request in a fixed window of the limits' Redis as limits' own `RedisStorage.incr`
    does (its key, its script, one round trip), on a Redis connection of the thread's own: limits'
    call passes through redis-py's script object, client, pool (a lock, and a poll of the socket
    before every command) and retry wrapper, 70 µs of CPU a count against 30 here (round 23).

    A failed count (the store down, or its script gone after a restart) drops the connection and
    raises the store's error: the request is then left to flask-limiter's check, which falls back
    to memory, or loads the script again. A thread's connection closes when the thread ends.
    """

    def __init__(self, storage: RedisStorage) -> None:
        self.storage = storage
        self.local = threading.local()

    @classmethod
    def for_limiter(cls, limiter: Limiter) -> RedisWindowCounter | None:
        """A counter for a limiter that counts fixed windows in Redis, else None (counted by limits)."""
        fits = (limiter.enabled  # a disabled limiter has no strategy to ask about
                and type(limiter.limiter) is FixedWindowRateLimiter and type(limiter.storage) is RedisStorage)
        return cls(limiter.storage) if fits else None

    def hit(self, limit: RateLimitItem, *identifiers: str) -> bool:
        """Count one request; whether it is within the limit (limits' `FixedWindowRateLimiter.hit`)."""
        connection = self.local.__dict__.get("connection")
        if connection is None:
            connection = self.local.connection = self.storage.get_connection().connection_pool.make_connection()
        key = self.storage.prefixed_key(limit.key_for(*identifiers))
        try:
            connection.send_command("EVALSHA", self.storage.lua_incr_expire.sha, 1, key, limit.get_expiry(), 1)
            count = connection.read_response()
        except self.storage.base_exceptions:
            connection.disconnect()
            raise
        return int(count) <= limit.amount


def unless_counted(hook: Callable) -> Callable:
    """One of flask-limiter's request hooks, run only for a request `count_request` left to it."""

    @functools.wraps(hook)
    def run(*args):
        if g.get("rate_limit_counted"):
            return args[0] if args else None  # an after-request hook hands the response on
        return hook(*args)

    return run


def rate(app: Flask, setting: str) -> list[RateLimitItem]:
    """A limit setting (one limit or several, flask-limiter's syntax), parsed; one line naming it
    when it is not a rate (at start, not on every request)."""
    if not app.config[setting]:
        return []  # an empty RATELIMIT_DEFAULT: no limit
    try:
        return parse_many(app.config[setting])
    except ValueError:
        raise SystemExit(f"{setting}={app.config[setting]!r} is not a rate limit: write it as, for "
                         "example, '120 per minute' (second, minute, hour or day).") from None


def refused_headers() -> dict[str, str]:
    """For a 429: the spent limit, and when it resets (Retry-After, in whole seconds)."""
    spent = current_app.extensions["rate_limits"].current_limit
    if spent is None:
        return {}
    reset_at = spent.reset_at
    return {"Retry-After": str(max(1, math.ceil(reset_at - time.time()))),
            "X-RateLimit-Limit": str(spent.limit.amount), "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(reset_at))}
