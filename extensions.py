"""Rate limiting: one flask-limiter per app, limits named by config key on the views.

Views declare `@rate_limit("RATELIMIT_WRITE")` or `@rate_limit_exempt`; `init_rate_limits(app)`
applies them with that app's settings once every blueprint is registered. (A module-level
Limiter would keep the first app's defaults and `enabled` flag for every later app.)
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, g, request
from flask_limiter import Limiter


def rate_limit_key() -> str:
    """The verified learner when there is one, else the client address."""
    learner = g.get("learner")
    return f"learner:{learner.id}" if learner else f"ip:{request.remote_addr}"


def rate_limit(config_key: str) -> Callable:
    """Limit a view by the limit string in `app.config[config_key]` (on top of the default)."""

    def mark(view):
        view.rate_limit_key = config_key
        return view

    return mark


def rate_limit_exempt(view):
    view.rate_limit_exempt = True
    return view


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
    for endpoint, view in list(app.view_functions.items()):
        if getattr(view, "rate_limit_exempt", False):
            app.view_functions[endpoint] = limiter.exempt(view)
        elif key := getattr(view, "rate_limit_key", None):
            app.view_functions[endpoint] = limiter.limit(app.config[key])(view)
    app.extensions["rate_limits"] = limiter
    return limiter
