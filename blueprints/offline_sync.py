"""Seed 000: save / list / delete progress documents, history, and claiming anonymous progress
after sign-in (GET /api/progress?courseId= is in content_progress, which shares the path).
The merge happens in PostgreSQL, never here."""

from __future__ import annotations

from flask import Blueprint

from blueprints.endpoints import endpoint
from blueprints.identity import current_learner
from schemas.offline_sync import (
    ClaimResultSchema,
    ClaimSchema,
    DeleteResultSchema,
    DocumentListSchema,
    HistorySchema,
    SaveResultSchema,
    SaveSchema,
)
from schemas.progress import CourseQuerySchema, LearnerQuerySchema
from services import offline_sync

bp = Blueprint("offline_sync", __name__, url_prefix="/api/progress")


@bp.post("/save")
@endpoint(body=SaveSchema, response=SaveResultSchema, limit="RATELIMIT_WRITE", idempotent=True)
def save(body: dict, key):
    """Merge a document saved by a device (online or after being offline)."""
    return offline_sync.save(current_learner(body.get("userId")), body, key)


@bp.get("/list")
@endpoint(query=LearnerQuerySchema, response=DocumentListSchema)
def list_documents(query: dict):
    """Every course document of the learner: `{"items": [{course_id, progress, updated_at}]}`."""
    return offline_sync.documents(current_learner(query.get("userId")))


@bp.delete("")
@endpoint(query=CourseQuerySchema, response=DeleteResultSchema, limit="RATELIMIT_WRITE", idempotent=True)
def delete_document(query: dict, key):
    """Reset the learner's progress in a course (the history keeps a record)."""
    return offline_sync.delete(current_learner(query.get("userId")), str(query["courseId"]), key)


@bp.get("/history")
@endpoint(query=CourseQuerySchema, response=HistorySchema)
def history(query: dict):
    """The learner's saves of a course, newest first: before, incoming, after, device, time."""
    return offline_sync.history(current_learner(query.get("userId")), str(query["courseId"]))


@bp.post("/claim")
@endpoint(body=ClaimSchema, response=ClaimResultSchema, limit="RATELIMIT_WRITE", idempotent=True)
def claim(body: dict, key):
    """Merge anonymous progress (its UUID and learner token) into the signed-in account, once."""
    return offline_sync.claim(current_learner(), str(body["userId"]), body["token"], key)
