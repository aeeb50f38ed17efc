"""Your data: GET /api/me/export, DELETE /api/me; and `flask maintenance prune` for operators."""

from __future__ import annotations

import click
from flask import Blueprint

from blueprints.endpoints import endpoint
from blueprints.identity import current_learner
from schemas.data_rights import ErasedSchema, ErasureSchema, ExportSchema
from services import data_rights

bp = Blueprint("data_rights", __name__, url_prefix="/api/me", cli_group="maintenance")


@bp.get("/export")
@endpoint(response=ExportSchema)
def export():
    """Everything the service holds about the caller, as JSON."""
    return data_rights.export(current_learner())


@bp.delete("")
@endpoint(body=ErasureSchema, response=ErasedSchema, limit="RATELIMIT_WRITE")
def erase(body: dict):
    """Erase the caller's personal data and progress (confirm with your learner id)."""
    return data_rights.erase(current_learner(), body["confirm"])


@bp.cli.command("prune")
def prune_command() -> None:
    """Remove expired sync history, idempotency keys and old read notifications, in batches."""
    totals = data_rights.prune()
    click.echo(", ".join(f"{kind}: {count} removed" for kind, count in totals.items()))
