"""Seed 003: mark / unmark lessons with module and overall aggregates, summary, module detail."""

from __future__ import annotations

from flask import Blueprint

from blueprints.endpoints import endpoint
from blueprints.identity import current_learner
from schemas.params import uuid_param
from schemas.progress import (
    CompletedLessonsSchema,
    MarkLessonSchema,
    MarkResultSchema,
    ModuleDetailSchema,
    RollupSchema,
)
from services import progress

bp = Blueprint("lesson_completion", __name__, url_prefix="/api/progress")
LESSON = {"lesson_id": uuid_param("lessonId")}


@bp.post("/lessons/<lesson_id>")
@endpoint(path=LESSON, body=MarkLessonSchema, body_optional=True, response=MarkResultSchema,
          limit="RATELIMIT_WRITE", idempotent=True)
def mark_lesson(lesson_id: str, body: dict, key):
    """Mark a lesson complete (idempotent); answers with module and overall progress."""
    return progress.mark_lesson(current_learner(), lesson_id, body.get("completedAt"), key)


@bp.delete("/lessons/<lesson_id>")
@endpoint(path=LESSON, response=MarkResultSchema, limit="RATELIMIT_WRITE", idempotent=True)
def unmark_lesson(lesson_id: str, key):
    """Unmark a lesson (idempotent); answers with module and overall progress."""
    return progress.unmark_lesson(current_learner(), lesson_id, key)


@bp.get("/summary")
@endpoint(response=RollupSchema)
def summary():
    """Overall progress across every course the learner can access."""
    return progress.summary(current_learner())


@bp.get("/modules/<module_id>")
@endpoint(path={"module_id": uuid_param("moduleId")}, response=ModuleDetailSchema)
def module_detail(module_id: str):
    """A module's percent and each lesson's status."""
    return progress.module_progress(current_learner(), module_id)


@bp.get("/lessons")
@endpoint(response=CompletedLessonsSchema)
def completed_lessons():
    """Every lesson the learner has completed."""
    return progress.completed_lessons(current_learner())
