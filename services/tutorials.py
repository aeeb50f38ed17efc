"""Seed 002: tutorial progress, quiz attempts and certificates, one SQL function each."""

from __future__ import annotations

import hashlib
import json

from flask import current_app

from .identity import Learner
from .supabase import IdempotencyKey, rpc


def fingerprint(*parts) -> str:
    """What makes two requests the same request, for Idempotency-Key replays."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def progress(learner: Learner, tutorial_id: str) -> dict:
    return rpc("tutorial_progress", learner_id=learner.id, tutorial_id=tutorial_id)


def record_chapter(learner: Learner, tutorial_id: str, chapter: dict, key: IdempotencyKey | None) -> dict:
    return rpc(
        "record_chapter", learner=learner, idempotency=key, tutorial_id=tutorial_id,
        chapter_id=chapter["chapterId"], watch_time=chapter["watchTime"], completed=chapter["completed"],
        last_position=chapter.get("lastPosition"), total_chapters=chapter.get("totalChapters"),
        completion_share=current_app.config["CHAPTER_COMPLETION_SHARE"],
    )


def record_quiz(learner: Learner, tutorial_id: str, quiz: dict, key: IdempotencyKey | None) -> dict:
    """Record one attempt; a retry with the same attemptId (or Idempotency-Key) replays the first answer."""
    return rpc(
        "record_tutorial_quiz_attempt", learner=learner, idempotency=key, tutorial_id=tutorial_id,
        quiz_id=quiz["quizId"], score=quiz["score"], max_score=quiz["maxScore"],
        idempotency_key=quiz.get("attemptId"), fingerprint=fingerprint("quiz", tutorial_id, quiz),
        answers=quiz.get("answers"), time_taken=quiz.get("timeTaken"),
    )


def complete(learner: Learner, tutorial_id: str, key: IdempotencyKey | None) -> dict:
    return rpc("complete_tutorial", learner_id=learner.id, idempotency=key, tutorial_id=tutorial_id)


def reset(learner: Learner, tutorial_id: str, key: IdempotencyKey | None) -> dict:
    return rpc("reset_tutorial", learner_id=learner.id, idempotency=key, tutorial_id=tutorial_id)


def verify_certificate(certificate_id: str) -> dict:
    return rpc("verify_certificate", certificate_id=certificate_id)
