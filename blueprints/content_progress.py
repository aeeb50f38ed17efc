"""Seed 004: progress per content item with server-side roll-ups, course summary, next lesson.
GET /api/progress is shared with seed 000: with `courseId` it answers that course's document."""

from __future__ import annotations

from flask import Blueprint

from blueprints.endpoints import endpoint, if_none_match
from blueprints.identity import current_learner
from schemas.offline_sync import ProgressSchema
from schemas.progress import (
    ContentItemSchema,
    ContentQuerySchema,
    ContentUpdateSchema,
    CourseQuerySchema,
    CourseSummarySchema,
    NavigationSchema,
    ProgressQuerySchema,
)
from services import offline_sync, progress

bp = Blueprint("content_progress", __name__, url_prefix="/api/progress")


@bp.post("/update")
@endpoint(body=ContentUpdateSchema, response=ContentItemSchema, limit="RATELIMIT_WRITE", idempotent=True)
def update(body: dict, key):
    """Record progress on a lesson or exercise, or a visit to a module, course or theme."""
    return progress.update_content(current_learner(body.get("userId")), body, key)


@bp.get("")
@endpoint(query=ProgressQuerySchema, response=ProgressSchema, plain_404=True, conditional=True,
          note="Without courseId: seed 004's list; with it, seed 000's document (404 with a null one), "
               "with an ETag: sent back as If-None-Match, an unchanged document answers 304.")
def all_progress(query: dict):
    """Everything the learner has progress in, containers rolled up (seed 004); with courseId,
    seed 000's document of that course."""
    learner = current_learner(query.get("userId"))
    if "courseId" not in query:
        return progress.all_progress(learner)
    result = offline_sync.document(learner, str(query["courseId"]), if_none_match())
    etag = {"ETag": f'"{result["version"]}"'}
    if result.get("notModified"):
        return "", 304, etag
    return {"progress": result["progress"]}, 200 if result["progress"] else 404, etag


@bp.get("/content")
@endpoint(query=ContentQuerySchema, response=ContentItemSchema)
def content(query: dict):
    """One item's progress (not-started when there is none)."""
    return progress.content(current_learner(query.get("userId")), str(query["contentId"]))


@bp.get("/course_summary")
@endpoint(query=CourseQuerySchema, response=CourseSummarySchema)
def course_summary(query: dict):
    """A course rolled up from its modules, with the next lesson and the one to resume."""
    return progress.course_summary(current_learner(query.get("userId")), str(query["courseId"]))


@bp.get("/next")
@endpoint(query=CourseQuerySchema, response=NavigationSchema)
def next_lesson(query: dict):
    """The next published, unlocked, uncompleted lesson of a course, and the one to resume."""
    return progress.next_lesson(current_learner(query.get("userId")), str(query["courseId"]))
