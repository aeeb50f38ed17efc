"""Seed 001: courses, lesson progress with achievements, quizzes, ratings, leaderboard."""

from __future__ import annotations

import threading
import time

from flask import current_app

from .identity import Learner
from .supabase import rpc

_leaderboard: dict[int, tuple[float, dict]] = {}
_leaderboard_lock = threading.Lock()


def list_courses(query: dict) -> dict:
    per_page, page = query["perPage"], query["page"]
    result = rpc(
        "list_courses",
        {
            "p_category": query.get("category"),
            "p_difficulty": query.get("difficulty"),
            "p_search": query.get("search"),
            "p_limit": per_page,
            "p_offset": (page - 1) * per_page,
        },
        read_only=True,
    )
    return {"courses": result["courses"], "page": page, "perPage": per_page, "total": result["total"]}


def course(course_id: str) -> dict:
    return rpc("course_detail", {"p_course_id": course_id}, read_only=True)


def save_course(actor: Learner, course_id: str | None, fields: dict) -> dict:
    """Create (course_id None) or edit a course; instructors their own, admins any."""
    return rpc("save_course", {"p_actor_id": actor.id, "p_course_id": course_id, "p_fields": fields})


def record_lesson_progress(learner: Learner, progress: dict) -> dict:
    """Upsert, then the course's enrollment percentage, then achievements: one transaction."""
    return rpc(
        "record_lesson_progress",
        {
            "p_learner_id": learner.id,
            "p_learner_kind": learner.kind,
            "p_lesson_id": str(progress["lessonId"]),
            "p_course_id": str(progress["courseId"]) if progress.get("courseId") else None,
            "p_completion_percentage": progress["completionPercentage"],
            "p_time_spent": progress.get("timeSpent"),
            "p_section_progress": progress.get("sectionProgress"),
        },
    )


def record_lesson_quiz_attempt(learner: Learner, lesson_id: str, attempt: dict) -> dict:
    """A retry with the same Idempotency-Key is replayed by `rpc` (see services.supabase)."""
    return rpc(
        "record_lesson_quiz_attempt",
        {
            "p_learner_id": learner.id,
            "p_learner_kind": learner.kind,
            "p_lesson_id": lesson_id,
            "p_score": attempt["score"],
            "p_max_score": attempt["maxScore"],
            "p_answers": attempt["answers"],
            "p_time_taken": attempt.get("timeTakenSeconds"),
        },
    )


def rate_course(learner: Learner, course_id: str, rating: dict) -> dict:
    return rpc(
        "rate_course",
        {
            "p_learner_id": learner.id,
            "p_learner_kind": learner.kind,
            "p_course_id": course_id,
            "p_rating": rating["rating"],
            "p_review": rating.get("review"),
        },
    )


def overview(learner: Learner) -> dict:
    return {**rpc("learner_overview", {"p_learner_id": learner.id}, read_only=True), "kind": learner.kind}


def update_settings(learner: Learner, settings: dict) -> dict:
    result = rpc(
        "update_learner_settings",
        {"p_learner_id": learner.id, "p_learner_kind": learner.kind, "p_settings": settings},
    )
    return {**result, "kind": learner.kind}


def achievements(learner: Learner) -> dict:
    return rpc("learner_achievements", {"p_learner_id": learner.id}, read_only=True)


def leaderboard(limit: int = 10) -> dict:
    """Top learners by points, cached for LEADERBOARD_CACHE_SECONDS (it is read far more than it changes)."""
    ttl = current_app.config["LEADERBOARD_CACHE_SECONDS"]
    with _leaderboard_lock:
        cached = _leaderboard.get(limit)
        if cached and cached[0] > time.monotonic():
            return cached[1]
    result = rpc("leaderboard", {"p_limit": limit}, read_only=True)
    with _leaderboard_lock:
        _leaderboard[limit] = (time.monotonic() + ttl, result)
    return result


def notifications(learner: Learner) -> dict:
    return rpc("learner_notifications", {"p_learner_id": learner.id}, read_only=True)


def mark_notification_read(learner: Learner, notification_id: int) -> dict:
    return rpc("mark_notification_read", {"p_learner_id": learner.id, "p_notification_id": notification_id})
