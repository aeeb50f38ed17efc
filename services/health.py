"""The health probe: one call that crosses the gateway, PostgREST and PostgreSQL."""

from __future__ import annotations

import time

from flask import current_app

from .supabase import rpc

CACHED_SECONDS = 1.0


def database_health() -> dict:
    """The database's latest migration, read through PostgREST; raises Unavailable when down.

    A healthy answer is kept for a second: the probe is exempt from rate limits, and must not be
    a way to load the database."""
    cached = current_app.extensions.get("health")
    if cached and cached[0] > time.monotonic():
        return cached[1]
    answer = {"database": "ok", "migration": rpc("service_health")["migration"]}
    current_app.extensions["health"] = (time.monotonic() + CACHED_SECONDS, answer)
    return answer
