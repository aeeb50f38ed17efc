"""Health: ok only when the database answers through PostgREST."""

from __future__ import annotations

from flask import Blueprint

from blueprints.endpoints import endpoint
from schemas.identity import HealthSchema
from services.health import database_health

bp = Blueprint("health", __name__)


@bp.get("/health")
@endpoint(response=HealthSchema, public=True, exempt=True)
def health():
    """200 with the latest applied migration, or 503 when PostgREST or the database is down."""
    return {"status": "ok", **database_health()}
