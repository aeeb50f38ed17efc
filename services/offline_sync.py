"""Seed 000's progress documents: saved from any device, merged inside PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from .errors import Forbidden, Unauthorized
from .identity import Learner, token_verifier
from .supabase import IdempotencyKey, rpc


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def save(learner: Learner, save: dict, key: IdempotencyKey | None) -> dict:
    """Merge a saved document; answer with the merged one and any lessons ignored."""
    progress = dict(save["progress"])
    for field in ("completedAt", "unmarkedAt"):
        if field in progress:
            progress[field] = {lesson: _iso(at) for lesson, at in progress[field].items()}
    return rpc(
        "save_progress_document", learner=learner, idempotency=key,
        course_id=str(save["courseId"]), progress=progress, client_updated_at=_iso(save.get("clientUpdatedAt")),
        device_id=save.get("deviceId"), max_seconds=current_app.config["MAX_SECONDS_PER_LESSON"],
    )


def document(learner: Learner, course_id: str, known_version: str | None = None) -> dict:
    """`{"version", "progress"}` (progress None when nothing is stored), or `{"version",
    "notModified": True}` when the caller already has that version."""
    return rpc("get_progress_document", learner_id=learner.id, course_id=course_id,
               known_version=known_version)


def documents(learner: Learner) -> dict:
    return rpc("list_progress_documents", learner_id=learner.id)


def delete(learner: Learner, course_id: str, key: IdempotencyKey | None) -> dict:
    return rpc("delete_progress_document", learner_id=learner.id, idempotency=key, course_id=course_id)


def history(learner: Learner, course_id: str) -> dict:
    return rpc("progress_history", learner_id=learner.id, course_id=course_id)


def claim(account: Learner, anonymous_id: str, anonymous_token: str, key: IdempotencyKey | None) -> dict:
    """Merge an anonymous browser learner's progress into a signed-in account, once.

    The caller proves they hold the anonymous learner by its token."""
    if account.kind != "account":
        raise Forbidden("Sign in with a Supabase account to claim anonymous progress.")
    try:
        anonymous = token_verifier().verify(anonymous_token)
    except Unauthorized as error:
        raise Forbidden("The anonymous learner token is not valid.") from error
    if anonymous.kind != "browser" or anonymous.id != anonymous_id:
        raise Forbidden("The token does not belong to that anonymous learner.")
    return rpc("claim_browser_learner", learner_id=account.id, idempotency=key, browser_id=anonymous_id)
