"""Seed 002: tutorial progress, quiz attempts and certificates, one SQL function each."""

from __future__ import annotations

import hashlib
import json

from flask import current_app

from .identity import Learner
from .supabase import rpc


def fingerprint(*parts) -> str:
    """What makes two requests the same request, for Idempotency-Key replays."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def progress(learner: Learner, tutorial_id: str) -> dict:
    return rpc("tutorial_progress", {"p_learner_id": learner.id, "p_tutorial_id": tutorial_id}, read_only=True)


def record_chapter(learner: Learner, tutorial_id: str, chapter: dict) -> dict:
    return rpc(
        "record_chapter",
        {
            "p_learner_id": learner.id,
            "p_learner_kind": learner.kind,
            "p_tutorial_id": tutorial_id,
            "p_chapter_id": chapter["chapterId"],
            "p_watch_time": chapter["watchTime"],
            "p_completed": chapter["completed"],
            "p_last_position": chapter.get("lastPosition"),
            "p_total_chapters": chapter.get("totalChapters"),
            "p_completion_share": current_app.config["CHAPTER_COMPLETION_SHARE"],
        },
    )


def record_quiz(learner: Learner, tutorial_id: str, quiz: dict) -> dict:
    """Record one attempt; a retry with the same attemptId (or Idempotency-Key) replays the first answer."""
    key = quiz.get("attemptId")
    return rpc(
        "record_tutorial_quiz_attempt",
        {
            "p_learner_id": learner.id,
            "p_learner_kind": learner.kind,
            "p_tutorial_id": tutorial_id,
            "p_quiz_id": quiz["quizId"],
            "p_score": quiz["score"],
            "p_max_score": quiz["maxScore"],
            "p_passed": quiz["passed"],
            "p_idempotency_key": key,
            "p_fingerprint": fingerprint("quiz", tutorial_id, quiz),
            "p_answers": quiz.get("answers"),
            "p_time_taken": quiz.get("timeTaken"),
        },
    )


def complete(learner: Learner, tutorial_id: str) -> dict:
    return rpc("complete_tutorial", {"p_learner_id": learner.id, "p_tutorial_id": tutorial_id})


def reset(learner: Learner, tutorial_id: str) -> dict:
    return rpc("reset_tutorial", {"p_learner_id": learner.id, "p_tutorial_id": tutorial_id})


def verify_certificate(certificate_id: str) -> dict:
    return rpc("verify_certificate", {"p_certificate_id": certificate_id}, read_only=True)
