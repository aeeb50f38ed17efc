"""Seed 002: video tutorial progress under /v1/tutorials/progress/<tutorialId>."""

from __future__ import annotations

from flask import Blueprint

from blueprints.endpoints import endpoint
from blueprints.identity import current_learner
from schemas.params import TUTORIAL_ID
from schemas.progress import LearnerQuerySchema
from schemas.tutorials import ChapterSchema, QuizSchema, ResetResultSchema, TutorialStateSchema
from services import tutorials

bp = Blueprint("tutorials", __name__, url_prefix="/v1/tutorials/progress")
TUTORIAL = {"tutorial_id": TUTORIAL_ID}


@bp.get("/<tutorial_id>")
@endpoint(path=TUTORIAL, query=LearnerQuerySchema, response=TutorialStateSchema, limit="RATELIMIT_TUTORIAL_READ")
def get_progress(tutorial_id: str, query: dict):
    """The learner's progress, or the seed's default body when nothing is stored."""
    return tutorials.progress(current_learner(query.get("userId")), tutorial_id)


@bp.post("/<tutorial_id>/chapter")
@endpoint(path=TUTORIAL, body=ChapterSchema, response=TutorialStateSchema, limit="RATELIMIT_TUTORIAL_CHAPTER",
          idempotent=True)
def chapter(tutorial_id: str, body: dict, key):
    """Record watch time, resume position and completion of a chapter."""
    return tutorials.record_chapter(current_learner(body.get("userId")), tutorial_id, body, key)


@bp.post("/<tutorial_id>/quiz")
@endpoint(path=TUTORIAL, body=QuizSchema, response=TutorialStateSchema, limit="RATELIMIT_TUTORIAL_QUIZ",
          idempotent=True)
def quiz(tutorial_id: str, body: dict, key):
    """Record a quiz attempt (a retry with the same Idempotency-Key counts once)."""
    return tutorials.record_quiz(current_learner(body.get("userId")), tutorial_id, body, key)


@bp.post("/<tutorial_id>/complete")
@endpoint(path=TUTORIAL, body=LearnerQuerySchema, body_optional=True, response=TutorialStateSchema,
          limit="RATELIMIT_TUTORIAL_COMPLETE", idempotent=True)
def complete(tutorial_id: str, body: dict, key):
    """Earn the certificate: 404 without progress, 400 when not eligible."""
    return tutorials.complete(current_learner(body.get("userId")), tutorial_id, key)


@bp.delete("/<tutorial_id>")
@endpoint(path=TUTORIAL, query=LearnerQuerySchema, response=ResetResultSchema, limit="RATELIMIT_TUTORIAL_RESET",
          idempotent=True)
def reset(tutorial_id: str, query: dict, key):
    """Retake: clear current progress; quiz history and certificates stay."""
    return tutorials.reset(current_learner(query.get("userId")), tutorial_id, key)
