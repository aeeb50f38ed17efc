"""Health: ok only when the database answers through PostgREST."""

from __future__ import annotations

from flask import Blueprint

from extensions import rate_limit_exempt
from services.health import database_health

bp = Blueprint("health", __name__)


@bp.get("/health")
@rate_limit_exempt
def health():
    """200 with the latest applied migration, or 503 when PostgREST or the database is down."""
    return {"status": "ok", **database_health()}
