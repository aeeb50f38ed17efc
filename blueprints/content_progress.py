"""Seed 004: progress per content item with server-side roll-ups, course summary, next lesson."""

from __future__ import annotations

from flask import Blueprint, request

from blueprints import offline_sync
from blueprints.identity import current_learner
from extensions import rate_limit
from schemas import json_body, load
from schemas.progress import (
    content_query_schema,
    content_update_schema,
    course_query_schema,
    learner_query_schema,
)
from services import progress

bp = Blueprint("content_progress", __name__, url_prefix="/api/progress")


@bp.post("/update")
@rate_limit("RATELIMIT_WRITE")
def update():
    """Record progress on a lesson or exercise, or a visit to a module, course or theme."""
    body = load(content_update_schema, json_body())
    return progress.update_content(current_learner(body.get("userId")), body)


@bp.get("")
def all_progress():
    """Everything the learner has progress in, containers rolled up (seed 004); with courseId,
    seed 000's document of that course."""
    if "courseId" in request.args:
        return offline_sync.get_document()
    query = load(learner_query_schema, request.args)
    return progress.all_progress(current_learner(query.get("userId")))


@bp.get("/content")
def content():
    """One item's progress (not-started when there is none)."""
    query = load(content_query_schema, request.args)
    return progress.content(current_learner(query.get("userId")), str(query["contentId"]))


@bp.get("/course_summary")
def course_summary():
    """A course rolled up from its modules, with the next lesson and the one to resume."""
    query = load(course_query_schema, request.args)
    return progress.course_summary(current_learner(query.get("userId")), str(query["courseId"]))


@bp.get("/next")
def next_lesson():
    """The next published, unlocked, uncompleted lesson of a course, and the one to resume."""
    query = load(course_query_schema, request.args)
    return progress.next_lesson(current_learner(query.get("userId")), str(query["courseId"]))
