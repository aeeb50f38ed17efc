"""A learner's data rights: an export of everything held about them, erasure, and retention."""

from __future__ import annotations

from flask import current_app

from .errors import ValidationFailed
from .identity import Learner, token_verifier
from .supabase import rpc


def export(learner: Learner) -> dict:
    """Every row of every learner table, the learner row and the profile (README: Your data)."""
    return rpc("export_learner", learner_id=learner.id)


def erase(learner: Learner, confirmation: str) -> dict:
    """Erase the caller's data, in one transaction, once they confirmed with their own id."""
    if confirmation != learner.id:
        raise ValidationFailed("Confirm with your learner id: {\"confirm\": \"<learnerId>\"}.",
                               {"fields": {"confirm": ["Must be your learner id."]}})
    erased = rpc("erase_learner", learner_id=learner.id)
    token_verifier().forget(learner.id)
    return erased


def prune() -> dict:
    """Retention, in batches (each its own short transaction) until nothing is left to remove."""
    config = current_app.config
    totals: dict[str, int] = {}
    while True:
        batch = rpc("prune_batch", history_days=config["HISTORY_RETENTION_DAYS"],
                    idempotency_hours=config["IDEMPOTENCY_TTL_HOURS"],
                    notification_days=config["NOTIFICATION_RETENTION_DAYS"])
        for kind, count in batch.items():
            totals[kind] = totals.get(kind, 0) + count
        if not any(batch.values()):
            return totals
