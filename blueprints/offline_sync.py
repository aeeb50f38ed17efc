"""Seed 000: save / get / list / delete progress documents, history, and claiming anonymous
progress after sign-in. The merge happens in PostgreSQL, never here."""

from __future__ import annotations

from flask import Blueprint, request

from blueprints.identity import current_learner
from extensions import rate_limit
from schemas import json_body, load
from schemas.offline_sync import claim_schema, document_query_schema, save_schema
from services import offline_sync

bp = Blueprint("offline_sync", __name__, url_prefix="/api/progress")


@bp.post("/save")
@rate_limit("RATELIMIT_WRITE")
def save():
    """Merge a document saved by a device (online or after being offline)."""
    body = load(save_schema, json_body())
    return offline_sync.save(current_learner(body.get("userId")), body)


def get_document():
    """GET /api/progress?courseId=: the merged document, or 404 with `{"progress": null}`.

    Registered by the content-progress blueprint, whose GET /api/progress without courseId is
    seed 004's list."""
    query = load(document_query_schema, request.args)
    result = offline_sync.document(current_learner(query.get("userId")), str(query["courseId"]))
    return result, 200 if result["progress"] else 404


@bp.get("/list")
def list_documents():
    """Every course document of the learner: `{"items": [{course_id, progress, updated_at}]}`."""
    return offline_sync.documents(current_learner(request.args.get("userId")))


@bp.delete("")
@rate_limit("RATELIMIT_WRITE")
def delete_document():
    """Reset the learner's progress in a course (the history keeps a record)."""
    query = load(document_query_schema, request.args)
    return offline_sync.delete(current_learner(query.get("userId")), str(query["courseId"]))


@bp.get("/history")
def history():
    """The learner's saves of a course, newest first: before, incoming, after, device, time."""
    query = load(document_query_schema, request.args)
    return offline_sync.history(current_learner(query.get("userId")), str(query["courseId"]))


@bp.post("/claim")
@rate_limit("RATELIMIT_WRITE")
def claim():
    """Merge anonymous progress (its UUID and learner token) into the signed-in account, once."""
    body = load(claim_schema, json_body())
    return offline_sync.claim(current_learner(), str(body["userId"]), body["token"])
