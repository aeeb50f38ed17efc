"""Rate limiting: one flask-limiter per app, applied from each view's declaration.

Views declare `@endpoint(limit="RATELIMIT_WRITE")` or `@endpoint(exempt=True)`;
`init_rate_limits(app)` applies them with that app's settings once every blueprint is
registered. (A module-level Limiter would keep the first app's defaults and `enabled` flag for
every later app.) Every route counts in its own window, against its declared limit or else
RATELIMIT_DEFAULT. That one limit is given as the default limit, which flask-limiter works out
once per request; as a decorator it was worked out twice, in the `before_request` hook and in
the decorator (250-310 -> 90-180 µs of CPU per request in process, BENCHMARKS.md round 8).

The X-RateLimit-* headers and an exact Retry-After come with a 429 only: on every other answer
they cost two more round trips to the limits' store (a third of a worker's time in `make bench`).
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app, g, request
from flask_limiter import Limiter


def rate_limit_key() -> str:
    """The verified learner when there is one, else the client address."""
    learner = g.get("learner")
    return f"learner:{learner.id}" if learner else f"ip:{request.remote_addr}"


def init_rate_limits(app: Flask) -> Limiter:
    declared = {name: app.config[view.declaration.limit]
                for name, view in app.view_functions.items()
                if getattr(view, "declaration", None) and view.declaration.limit}

    def route_limit() -> str:
        """The limit the request's route declares, else the default."""
        return declared.get(request.endpoint) or app.config["RATELIMIT_DEFAULT"]

    limiter = Limiter(
        key_func=rate_limit_key,
        app=app,
        default_limits=[route_limit],
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        enabled=app.config["RATELIMIT_ENABLED"],
        headers_enabled=False,  # see refused_headers
        in_memory_fallback_enabled=True,
        key_prefix="learner-progress",
    )
    for endpoint_name, view in list(app.view_functions.items()):
        declaration = getattr(view, "declaration", None)
        if declaration is not None and declaration.exempt:
            app.view_functions[endpoint_name] = limiter.exempt(view)
    app.extensions["rate_limits"] = limiter
    return limiter


def refused_headers() -> dict[str, str]:
    """For a 429: the spent limit, and when it resets (Retry-After, in whole seconds)."""
    spent = current_app.extensions["rate_limits"].current_limit
    if spent is None:
        return {}
    reset_at = spent.reset_at
    return {"Retry-After": str(max(1, math.ceil(reset_at - time.time()))),
            "X-RateLimit-Limit": str(spent.limit.amount), "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(reset_at))}
