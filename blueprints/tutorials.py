"""Seed 002: video tutorial progress under /v1/tutorials/progress/<tutorialId>."""

from __future__ import annotations

from flask import Blueprint, request

from blueprints.identity import current_learner
from extensions import rate_limit
from schemas import json_body, load
from schemas.progress import learner_query_schema
from schemas.tutorials import chapter_schema, learner_body_schema, quiz_schema
from services import tutorials
from services.errors import ValidationFailed

bp = Blueprint("tutorials", __name__, url_prefix="/v1/tutorials/progress")


def tutorial_key(tutorial_id: str) -> str:
    if not 1 <= len(tutorial_id) <= 255:
        raise ValidationFailed("tutorialId is too long.", {"fields": {"tutorialId": ["At most 255 characters."]}})
    return tutorial_id


@bp.get("/<tutorial_id>")
@rate_limit("RATELIMIT_TUTORIAL_READ")
def get_progress(tutorial_id: str):
    """The learner's progress, or the seed's default body when nothing is stored."""
    query = load(learner_query_schema, request.args)
    return tutorials.progress(current_learner(query.get("userId")), tutorial_key(tutorial_id))


@bp.post("/<tutorial_id>/chapter")
@rate_limit("RATELIMIT_TUTORIAL_CHAPTER")
def chapter(tutorial_id: str):
    """Record watch time, resume position and completion of a chapter."""
    body = load(chapter_schema, json_body())
    return tutorials.record_chapter(current_learner(body.get("userId")), tutorial_key(tutorial_id), body)


@bp.post("/<tutorial_id>/quiz")
@rate_limit("RATELIMIT_TUTORIAL_QUIZ")
def quiz(tutorial_id: str):
    """Record a quiz attempt (a retry with the same Idempotency-Key counts once)."""
    body = load(quiz_schema, json_body())
    learner = current_learner(body.get("userId"))
    return tutorials.record_quiz(learner, tutorial_key(tutorial_id), body)


@bp.post("/<tutorial_id>/complete")
@rate_limit("RATELIMIT_TUTORIAL_COMPLETE")
def complete(tutorial_id: str):
    """Earn the certificate: 404 without progress, 400 when not eligible."""
    body = load(learner_body_schema, json_body())
    return tutorials.complete(current_learner(body.get("userId")), tutorial_key(tutorial_id))


@bp.delete("/<tutorial_id>")
@rate_limit("RATELIMIT_TUTORIAL_RESET")
def reset(tutorial_id: str):
    """Retake: clear current progress; quiz history and certificates stay."""
    query = load(learner_query_schema, request.args)
    return tutorials.reset(current_learner(query.get("userId")), tutorial_key(tutorial_id))
