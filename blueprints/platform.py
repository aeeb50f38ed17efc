"""Seed 001: the learning platform around progress (courses, lesson progress, quizzes,
achievements, me, leaderboard, notifications, ratings). Sign-up and sign-in are Supabase Auth's."""

from __future__ import annotations

from flask import Blueprint, request

from blueprints.identity import current_learner
from extensions import rate_limit
from schemas import json_body, load
from schemas.platform import (
    course_query_schema,
    course_schema,
    course_update_schema,
    lesson_progress_schema,
    quiz_attempt_schema,
    rating_schema,
    settings_schema,
)
from schemas.progress import path_uuid
from services import platform
from services.errors import ValidationFailed

bp = Blueprint("platform", __name__, url_prefix="/api")


@bp.get("/courses")
def list_courses():
    """Published courses, filtered by category, difficulty and title search; paginated."""
    return platform.list_courses(load(course_query_schema, request.args))


@bp.get("/courses/<course_id>")
def course(course_id: str):
    """One published course with its instructor and lesson count."""
    return platform.course(path_uuid(course_id, "courseId"))


@bp.post("/courses")
@rate_limit("RATELIMIT_WRITE")
def create_course():
    """Create a course (instructors and admins; unpublished until isPublished)."""
    return platform.save_course(current_learner(), None, load(course_schema, json_body())), 201


@bp.patch("/courses/<course_id>")
@rate_limit("RATELIMIT_WRITE")
def update_course(course_id: str):
    """Edit a course: its instructor or an admin."""
    fields = load(course_update_schema, json_body())
    return platform.save_course(current_learner(), path_uuid(course_id, "courseId"), fields)


@bp.post("/courses/<course_id>/ratings")
@rate_limit("RATELIMIT_WRITE")
def rate_course(course_id: str):
    """Rate a course 1..5 (one rating per learner, editable)."""
    return platform.rate_course(current_learner(), path_uuid(course_id, "courseId"), load(rating_schema, json_body()))


@bp.post("/progress")
@rate_limit("RATELIMIT_WRITE")
def lesson_progress():
    """Seed 001's lesson progress: completion %, time, sections; returns achievements earned."""
    return platform.record_lesson_progress(current_learner(), load(lesson_progress_schema, json_body()))


@bp.post("/quizzes/<lesson_id>/attempts")
@rate_limit("RATELIMIT_WRITE")
def quiz_attempt(lesson_id: str):
    """A lesson quiz attempt, passed at 70 %; a retried Idempotency-Key counts once."""
    attempt = load(quiz_attempt_schema, json_body())
    return platform.record_lesson_quiz_attempt(current_learner(), path_uuid(lesson_id, "lessonId"), attempt), 201


@bp.get("/achievements")
def achievements():
    """Every active achievement, the caller's marked earned."""
    return platform.achievements(current_learner())


@bp.get("/me")
def me():
    """The caller's profile, points and streak."""
    return platform.overview(current_learner())


@bp.patch("/me")
@rate_limit("RATELIMIT_WRITE")
def update_me():
    """Change time zone (streaks follow it), name, avatar or username."""
    return platform.update_settings(current_learner(), load(settings_schema, json_body()))


@bp.get("/leaderboard")
def leaderboard():
    """Top learners by points (cached for a minute)."""
    return platform.leaderboard()


@bp.get("/notifications")
def notifications():
    """The caller's notifications, newest first, with the unread count."""
    return platform.notifications(current_learner())


@bp.post("/notifications/<notification_id>/read")
@rate_limit("RATELIMIT_WRITE")
def read_notification(notification_id: str):
    """Mark one of the caller's notifications read."""
    if not notification_id.isdigit():
        raise ValidationFailed("notificationId must be a number.", {"fields": {"notificationId": ["Not a number."]}})
    return platform.mark_notification_read(current_learner(), int(notification_id))
