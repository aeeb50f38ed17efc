"""Extensions created unbound here and bound to the app in the factory."""

from __future__ import annotations

from flask import g, request
from flask_limiter import Limiter


def rate_limit_key() -> str:
    """The verified learner when there is one, else the client address."""
    learner = g.get("learner")
    return f"learner:{learner.id}" if learner else f"ip:{request.remote_addr}"


limiter = Limiter(key_func=rate_limit_key)
