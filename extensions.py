"""Rate limiting: one flask-limiter per app, applied from each view's declaration.

Views declare `@endpoint(limit="RATELIMIT_WRITE")` or `@endpoint(exempt=True)`;
`init_rate_limits(app)` applies them with that app's settings once every blueprint is
registered. (A module-level Limiter would keep the first app's defaults and `enabled` flag for
every later app.)
"""

from __future__ import annotations

from flask import Flask, g, request
from flask_limiter import Limiter


def rate_limit_key() -> str:
    """The verified learner when there is one, else the client address."""
    learner = g.get("learner")
    return f"learner:{learner.id}" if learner else f"ip:{request.remote_addr}"


def init_rate_limits(app: Flask) -> Limiter:
    limiter = Limiter(
        key_func=rate_limit_key,
        app=app,
        default_limits=[app.config["RATELIMIT_DEFAULT"]],
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        enabled=app.config["RATELIMIT_ENABLED"],
        headers_enabled=True,
        in_memory_fallback_enabled=True,
        key_prefix="learner-progress",
    )
    for endpoint_name, view in list(app.view_functions.items()):
        declaration = getattr(view, "declaration", None)
        if declaration is None:
            continue
        if declaration.exempt:
            app.view_functions[endpoint_name] = limiter.exempt(view)
        elif declaration.limit:
            app.view_functions[endpoint_name] = limiter.limit(app.config[declaration.limit])(view)
    app.extensions["rate_limits"] = limiter
    return limiter
