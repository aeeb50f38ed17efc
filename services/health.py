"""The health probe: one read-only call that crosses the gateway, PostgREST and PostgreSQL."""

from __future__ import annotations

from .supabase import rpc


def database_health() -> dict:
    """The database's latest migration, read through PostgREST; raises Unavailable when down."""
    row = rpc("service_health", read_only=True)
    return {"database": "ok", "migration": row["migration"]}
