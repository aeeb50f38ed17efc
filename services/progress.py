"""Lesson completion and content progress (seeds 003 and 004): one SQL function per operation.

Every write is a single RPC, so a write and the roll-ups it returns are one transaction.
"""

from __future__ import annotations

from datetime import datetime

from .identity import Learner
from .supabase import rpc


def _learner_args(learner: Learner) -> dict:
    return {"p_learner_id": learner.id, "p_learner_kind": learner.kind}


def mark_lesson(learner: Learner, lesson_id: str, completed_at: datetime | None) -> dict:
    """Complete a lesson (idempotent: a repeat returns the first completedAt)."""
    return rpc(
        "mark_lesson_complete",
        {
            **_learner_args(learner),
            "p_lesson_id": lesson_id,
            "p_completed_at": completed_at.isoformat() if completed_at else None,
        },
    )


def unmark_lesson(learner: Learner, lesson_id: str) -> dict:
    """Undo a completion (idempotent: unmarking an open lesson succeeds)."""
    return rpc("unmark_lesson_complete", {**_learner_args(learner), "p_lesson_id": lesson_id})


def summary(learner: Learner) -> dict:
    return rpc("progress_summary", {"p_learner_id": learner.id}, read_only=True)


def module_progress(learner: Learner, module_id: str) -> dict:
    return rpc("module_progress", {"p_learner_id": learner.id, "p_module_id": module_id}, read_only=True)


def completed_lessons(learner: Learner) -> dict:
    return rpc("completed_lessons", {"p_learner_id": learner.id}, read_only=True)


def update_content(learner: Learner, update: dict) -> dict:
    """Seed 004's upsert of one item; containers are rolled up, never declared complete."""
    return rpc(
        "update_content_progress",
        {
            **_learner_args(learner),
            "p_content_id": str(update["contentId"]),
            "p_content_type": update["contentType"],
            "p_status": update["status"],
            "p_progress_percentage": update.get("progressPercentage"),
            "p_score": update.get("score"),
            "p_data": update.get("data"),
        },
    )


def content(learner: Learner, content_id: str) -> dict:
    return rpc("content_progress", {"p_learner_id": learner.id, "p_content_id": content_id}, read_only=True)


def all_progress(learner: Learner) -> dict:
    return rpc("learner_progress", {"p_learner_id": learner.id}, read_only=True)


def course_summary(learner: Learner, course_id: str) -> dict:
    return rpc("course_summary", {"p_learner_id": learner.id, "p_course_id": course_id}, read_only=True)


def next_lesson(learner: Learner, course_id: str) -> dict:
    return rpc("next_lesson", {"p_learner_id": learner.id, "p_course_id": course_id}, read_only=True)


def enroll(learner: Learner, course_id: str, by_platform: bool = False) -> dict:
    """Enroll in a free course (premium ones only `by_platform`, after a purchase)."""
    return rpc("enroll", {**_learner_args(learner), "p_course_id": course_id, "p_by_platform": by_platform})


def unenroll(learner: Learner, course_id: str) -> dict:
    """Leave a course; every progress row is kept."""
    return rpc("unenroll", {"p_learner_id": learner.id, "p_course_id": course_id})
