"""Seed 001: the learning platform around progress (courses, lesson progress, quizzes,
achievements, me, leaderboard, notifications, ratings). Sign-up and sign-in are Supabase Auth's."""

from __future__ import annotations

from flask import Blueprint

from blueprints.endpoints import endpoint
from blueprints.identity import current_learner
from schemas.params import NOTIFICATION_ID, uuid_param
from schemas.platform import (
    AchievementListSchema,
    CourseAnswerSchema,
    CourseListingQuerySchema,
    CourseListSchema,
    CourseSchema,
    LeaderboardSchema,
    LessonProgressResultSchema,
    LessonProgressSchema,
    NotificationListSchema,
    NotificationReadSchema,
    OverviewSchema,
    QuizAttemptResultSchema,
    QuizAttemptSchema,
    RatingResultSchema,
    RatingSchema,
    SettingsSchema,
    course_update_schema,
)
from services import platform

bp = Blueprint("platform", __name__, url_prefix="/api")
COURSE = {"course_id": uuid_param("courseId")}
WRITE = {"limit": "RATELIMIT_WRITE", "idempotent": True}


@bp.get("/courses")
@endpoint(query=CourseListingQuerySchema, response=CourseListSchema, public=True)
def list_courses(query: dict):
    """Published courses, filtered by category, difficulty and title search; paginated."""
    return platform.list_courses(query)


@bp.get("/courses/<course_id>")
@endpoint(path=COURSE, response=CourseAnswerSchema, public=True)
def course(course_id: str):
    """One published course with its instructor and lesson count."""
    return platform.course(course_id)


@bp.post("/courses")
@endpoint(body=CourseSchema, response=CourseAnswerSchema, status=201, **WRITE)
def create_course(body: dict, key):
    """Create a course (instructors and admins; unpublished until isPublished)."""
    return platform.save_course(current_learner(), None, body, key), 201


@bp.patch("/courses/<course_id>")
@endpoint(path=COURSE, body=course_update_schema, body_optional=True, response=CourseAnswerSchema, **WRITE)
def update_course(course_id: str, body: dict, key):
    """Edit a course: its instructor or an admin."""
    return platform.save_course(current_learner(), course_id, body, key)


@bp.post("/courses/<course_id>/ratings")
@endpoint(path=COURSE, body=RatingSchema, response=RatingResultSchema, **WRITE)
def rate_course(course_id: str, body: dict, key):
    """Rate a course 1..5 (one rating per learner, editable)."""
    return platform.rate_course(current_learner(), course_id, body, key)


@bp.post("/progress")
@endpoint(body=LessonProgressSchema, response=LessonProgressResultSchema, **WRITE)
def lesson_progress(body: dict, key):
    """Seed 001's lesson progress: completion %, time, sections; returns achievements earned."""
    return platform.record_lesson_progress(current_learner(), body, key)


@bp.post("/quizzes/<lesson_id>/attempts")
@endpoint(path={"lesson_id": uuid_param("lessonId")}, body=QuizAttemptSchema, response=QuizAttemptResultSchema,
          status=201, **WRITE)
def quiz_attempt(lesson_id: str, body: dict, key):
    """A lesson quiz attempt, passed at 70 %; a retried Idempotency-Key counts once."""
    return platform.record_lesson_quiz_attempt(current_learner(), lesson_id, body, key), 201


@bp.get("/achievements")
@endpoint(response=AchievementListSchema)
def achievements():
    """Every active achievement, the caller's marked earned."""
    return platform.achievements(current_learner())


@bp.get("/me")
@endpoint(response=OverviewSchema)
def me():
    """The caller's profile, points and streak."""
    return platform.overview(current_learner())


@bp.patch("/me")
@endpoint(body=SettingsSchema, body_optional=True, response=OverviewSchema, **WRITE)
def update_me(body: dict, key):
    """Change time zone (streaks follow it), name, avatar or username."""
    return platform.update_settings(current_learner(), body, key)


@bp.get("/leaderboard")
@endpoint(response=LeaderboardSchema, public=True)
def leaderboard():
    """Top learners by points (cached for a minute)."""
    return platform.leaderboard()


@bp.get("/notifications")
@endpoint(response=NotificationListSchema)
def notifications():
    """The caller's notifications, newest first, with the unread count."""
    return platform.notifications(current_learner())


@bp.post("/notifications/<notification_id>/read")
@endpoint(path={"notification_id": NOTIFICATION_ID}, response=NotificationReadSchema, **WRITE)
def read_notification(notification_id: int, key):
    """Mark one of the caller's notifications read."""
    return platform.mark_notification_read(current_learner(), notification_id, key)
