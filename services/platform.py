"""Seed 001: courses, lesson progress with achievements, quizzes, ratings, leaderboard."""

from __future__ import annotations

import threading
import time

from flask import current_app

from .identity import Learner
from .supabase import IdempotencyKey, rpc

_leaderboard: dict[int, tuple[float, dict]] = {}
_leaderboard_lock = threading.Lock()


def list_courses(query: dict) -> dict:
    per_page, page = query["perPage"], query["page"]
    result = rpc(
        "list_courses", category=query.get("category"), difficulty=query.get("difficulty"),
        search=query.get("search"), limit=per_page, offset=(page - 1) * per_page,
    )
    return {"courses": result["courses"], "page": page, "perPage": per_page, "total": result["total"]}


def course(course_id: str) -> dict:
    """`{"course": row}`, as seed 001's course answers are shaped."""
    return {"course": rpc("course_detail", course_id=course_id)}


def save_course(actor: Learner, course_id: str | None, fields: dict, key: IdempotencyKey | None) -> dict:
    """Create (course_id None) or edit a course; instructors their own, admins any."""
    return {"course": rpc("save_course", learner_id=actor.id, idempotency=key, course_id=course_id, fields=fields)}


def record_lesson_progress(learner: Learner, progress: dict, key: IdempotencyKey | None) -> dict:
    """Upsert, then the course's enrollment percentage, then achievements: one transaction."""
    return rpc(
        "record_lesson_progress", learner=learner, idempotency=key,
        lesson_id=str(progress["lessonId"]),
        course_id=str(progress["courseId"]) if progress.get("courseId") else None,
        completion_percentage=progress["completionPercentage"], time_spent=progress.get("timeSpent"),
        section_progress=progress.get("sectionProgress"),
    )


def record_lesson_quiz_attempt(learner: Learner, lesson_id: str, attempt: dict, key: IdempotencyKey | None) -> dict:
    """A retry with the same Idempotency-Key counts once."""
    return rpc(
        "record_lesson_quiz_attempt", learner=learner, idempotency=key, lesson_id=lesson_id,
        score=attempt["score"], max_score=attempt["maxScore"], answers=attempt["answers"],
        time_taken=attempt.get("timeTakenSeconds"),
    )


def rate_course(learner: Learner, course_id: str, rating: dict, key: IdempotencyKey | None) -> dict:
    return rpc("rate_course", learner=learner, idempotency=key, course_id=course_id,
               rating=rating["rating"], review=rating.get("review"))


def overview(learner: Learner) -> dict:
    return {**rpc("learner_overview", learner_id=learner.id), "kind": learner.kind}


def update_settings(learner: Learner, settings: dict, key: IdempotencyKey | None) -> dict:
    result = rpc("update_learner_settings", learner=learner, idempotency=key, settings=settings)
    return {**result, "kind": learner.kind}


def achievements(learner: Learner) -> dict:
    return rpc("learner_achievements", learner_id=learner.id)


def leaderboard(limit: int = 10) -> dict:
    """Top learners by points, cached for LEADERBOARD_CACHE_SECONDS (it is read far more than it changes)."""
    ttl = current_app.config["LEADERBOARD_CACHE_SECONDS"]
    with _leaderboard_lock:
        cached = _leaderboard.get(limit)
        if cached and cached[0] > time.monotonic():
            return cached[1]
    result = rpc("leaderboard", limit=limit)
    with _leaderboard_lock:
        _leaderboard[limit] = (time.monotonic() + ttl, result)
    return result


def notifications(learner: Learner) -> dict:
    return rpc("learner_notifications", learner_id=learner.id)


def mark_notification_read(learner: Learner, notification_id: int, key: IdempotencyKey | None) -> dict:
    return rpc("mark_notification_read", learner_id=learner.id, idempotency=key, notification_id=notification_id)
