"""Lesson completion and content progress (seeds 003 and 004): one SQL function per operation.

Every write is a single RPC, so a write and the roll-ups it returns are one transaction.
"""

from __future__ import annotations

from datetime import datetime

from .identity import Learner
from .supabase import IdempotencyKey, rpc


def mark_lesson(learner: Learner, lesson_id: str, completed_at: datetime | None, key: IdempotencyKey | None) -> dict:
    """Complete a lesson (idempotent: a repeat returns the first completedAt)."""
    return rpc("mark_lesson_complete", learner=learner, idempotency=key, lesson_id=lesson_id,
               completed_at=completed_at.isoformat() if completed_at else None)


def unmark_lesson(learner: Learner, lesson_id: str, key: IdempotencyKey | None) -> dict:
    """Undo a completion (idempotent: unmarking an open lesson succeeds)."""
    return rpc("unmark_lesson_complete", learner=learner, idempotency=key, lesson_id=lesson_id)


def summary(learner: Learner) -> dict:
    return rpc("progress_summary", learner_id=learner.id)


def module_progress(learner: Learner, module_id: str) -> dict:
    return rpc("module_progress", learner_id=learner.id, module_id=module_id)


def completed_lessons(learner: Learner) -> dict:
    return rpc("completed_lessons", learner_id=learner.id)


def update_content(learner: Learner, update: dict, key: IdempotencyKey | None) -> dict:
    """Seed 004's upsert of one item; containers are rolled up, never declared complete."""
    return rpc(
        "update_content_progress", learner=learner, idempotency=key,
        content_id=str(update["contentId"]), content_type=update["contentType"], status=update["status"],
        progress_percentage=update.get("progressPercentage"), score=update.get("score"), data=update.get("data"),
    )


def content(learner: Learner, content_id: str) -> dict:
    return rpc("content_progress", learner_id=learner.id, content_id=content_id)


def all_progress(learner: Learner) -> dict:
    return rpc("learner_progress", learner_id=learner.id)


def course_summary(learner: Learner, course_id: str) -> dict:
    return rpc("course_summary", learner_id=learner.id, course_id=course_id)


def next_lesson(learner: Learner, course_id: str) -> dict:
    return rpc("next_lesson", learner_id=learner.id, course_id=course_id)


def enroll(learner: Learner, course_id: str, key: IdempotencyKey | None, by_platform: bool = False) -> dict:
    """Enroll in a free course (premium ones only `by_platform`, after a purchase)."""
    return rpc("enroll", learner=learner, idempotency=key, course_id=course_id, by_platform=by_platform)


def unenroll(learner: Learner, course_id: str, key: IdempotencyKey | None) -> dict:
    """Leave a course; every progress row is kept."""
    return rpc("unenroll", learner_id=learner.id, idempotency=key, course_id=course_id)
