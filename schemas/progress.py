"""Payloads and queries of the lesson-completion (003) and content-progress (004) contracts."""

from __future__ import annotations

import datetime as dt
import uuid

from marshmallow import Schema, fields, validate

from services.errors import ValidationFailed

STATUSES = ["not-started", "in-progress", "completed"]
CONTENT_TYPES = ["lesson", "module", "course", "exercise", "theme"]


def path_uuid(value: str, name: str) -> str:
    """A UUID from the path, or 400 naming the parameter (seed 003: invalid id is 400, not 404)."""
    try:
        return str(uuid.UUID(value))
    except ValueError as error:
        raise ValidationFailed(f"{name} must be a UUID.", {"fields": {name: ["Not a valid UUID."]}}) from error


class MarkLessonSchema(Schema):
    completedAt = fields.AwareDateTime(default_timezone=dt.UTC, allow_none=True)


class ContentUpdateSchema(Schema):
    userId = fields.String()
    contentId = fields.UUID(required=True)
    contentType = fields.String(required=True, validate=validate.OneOf(CONTENT_TYPES))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    progressPercentage = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=100))
    score = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=1_000_000))
    data = fields.Dict(allow_none=True)


class LearnerQuerySchema(Schema):
    userId = fields.String()


class ContentQuerySchema(LearnerQuerySchema):
    contentId = fields.UUID(required=True)


class CourseQuerySchema(LearnerQuerySchema):
    courseId = fields.UUID(required=True)


class EnrollmentSchema(Schema):
    courseId = fields.UUID(required=True)


mark_lesson_schema = MarkLessonSchema()
content_update_schema = ContentUpdateSchema()
learner_query_schema = LearnerQuerySchema()
content_query_schema = ContentQuerySchema()
course_query_schema = CourseQuerySchema()
enrollment_schema = EnrollmentSchema()
