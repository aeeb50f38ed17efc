"""Seed 003: mark / unmark lessons with module and overall aggregates, summary, module detail."""

from __future__ import annotations

from flask import Blueprint

from blueprints.identity import current_learner
from extensions import rate_limit
from schemas import json_body, load
from schemas.progress import mark_lesson_schema, path_uuid
from services import progress

bp = Blueprint("lesson_completion", __name__, url_prefix="/api/progress")


@bp.post("/lessons/<lesson_id>")
@rate_limit("RATELIMIT_WRITE")
def mark_lesson(lesson_id: str):
    """Mark a lesson complete (idempotent); answers with module and overall progress."""
    body = load(mark_lesson_schema, json_body())
    return progress.mark_lesson(current_learner(), path_uuid(lesson_id, "lessonId"), body.get("completedAt"))


@bp.delete("/lessons/<lesson_id>")
@rate_limit("RATELIMIT_WRITE")
def unmark_lesson(lesson_id: str):
    """Unmark a lesson (idempotent); answers with module and overall progress."""
    return progress.unmark_lesson(current_learner(), path_uuid(lesson_id, "lessonId"))


@bp.get("/summary")
def summary():
    """Overall progress across every course the learner can access."""
    return progress.summary(current_learner())


@bp.get("/modules/<module_id>")
def module_detail(module_id: str):
    """A module's percent and each lesson's status."""
    return progress.module_progress(current_learner(), path_uuid(module_id, "moduleId"))


@bp.get("/lessons")
def completed_lessons():
    """Every lesson the learner has completed."""
    return progress.completed_lessons(current_learner())
