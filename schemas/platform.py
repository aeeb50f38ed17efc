"""Seed 001's payloads: courses, lesson progress, quiz attempts, ratings, settings."""

from __future__ import annotations

from schemas import StrictBoolean, StrictFloat
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

DIFFICULTIES = ["beginner", "intermediate", "advanced"]


class CourseQuerySchema(Schema):
    category = fields.String(validate=validate.Length(max=100))
    difficulty = fields.String(validate=validate.OneOf(DIFFICULTIES))
    search = fields.String(validate=validate.Length(max=200))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    perPage = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class CourseSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    slug = fields.String(validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,99}$"))
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    thumbnailUrl = fields.Url(allow_none=True)
    difficultyLevel = fields.String(validate=validate.OneOf(DIFFICULTIES))
    estimatedDurationHours = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=10_000))
    price = StrictFloat(validate=validate.Range(min=0, max=100_000))
    isPremium = StrictBoolean()
    isPublished = StrictBoolean()
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=50)), validate=validate.Length(max=20))
    category = fields.String(allow_none=True, validate=validate.Length(max=100))


class LessonProgressSchema(Schema):
    lessonId = fields.UUID(required=True)
    courseId = fields.UUID()
    completionPercentage = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=100))
    timeSpent = fields.Integer(strict=True, validate=validate.Range(min=0, max=10 * 86_400))
    sectionProgress = fields.Dict()


class QuizAttemptSchema(Schema):
    score = fields.Integer(strict=True, required=True, validate=validate.Range(min=0))
    maxScore = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=1_000_000))
    answers = fields.Raw(required=True)
    timeTakenSeconds = fields.Integer(strict=True, validate=validate.Range(min=0, max=86_400))

    @validates_schema
    def score_within_max(self, data, **_):
        if "score" in data and "maxScore" in data and data["score"] > data["maxScore"]:
            raise ValidationError("Score must be between 0 and maxScore.", "score")


class RatingSchema(Schema):
    rating = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=5))
    review = fields.String(allow_none=True, validate=validate.Length(max=5000))


class SettingsSchema(Schema):
    timeZone = fields.String(validate=validate.Length(min=1, max=64))
    fullName = fields.String(validate=validate.Length(max=200))
    avatarUrl = fields.Url(allow_none=True)
    username = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_.-]{3,50}$"))


course_query_schema = CourseQuerySchema()
course_schema = CourseSchema()
course_update_schema = CourseSchema(partial=True)
lesson_progress_schema = LessonProgressSchema()
quiz_attempt_schema = QuizAttemptSchema()
rating_schema = RatingSchema()
settings_schema = SettingsSchema()
