"""Lesson completion (seed 003) and content progress (seed 004): payloads, queries and answers."""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, fields, validate

STATUSES = ["not-started", "in-progress", "completed"]
CONTENT_TYPES = ["lesson", "module", "course", "exercise", "theme"]
STATUS = fields.String(required=True, validate=validate.OneOf(STATUSES))


# ----- requests ---------------------------------------------------------------------------------
class MarkLessonSchema(Schema):
    completedAt = fields.AwareDateTime(default_timezone=dt.UTC, allow_none=True)


class LearnerQuerySchema(Schema):
    """Seed clients may name the learner; it must be the caller (see blueprints.identity)."""

    userId = fields.String()


class ContentUpdateSchema(LearnerQuerySchema):
    contentId = fields.UUID(required=True)
    contentType = fields.String(required=True, validate=validate.OneOf(CONTENT_TYPES))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    progressPercentage = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=100))
    score = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=1_000_000))
    data = fields.Dict(allow_none=True)


class ContentQuerySchema(LearnerQuerySchema):
    contentId = fields.UUID(required=True)


class CourseQuerySchema(LearnerQuerySchema):
    courseId = fields.UUID(required=True)


class ProgressQuerySchema(LearnerQuerySchema):
    """GET /api/progress: seed 004's list, or with courseId seed 000's document."""

    courseId = fields.UUID()


class EnrollmentSchema(Schema):
    courseId = fields.UUID(required=True)


# ----- answers ----------------------------------------------------------------------------------
class RollupSchema(Schema):
    percent = fields.Integer(required=True)
    completedCount = fields.Integer(required=True)
    totalCount = fields.Integer(required=True)


class ModuleRollupSchema(RollupSchema):
    moduleId = fields.UUID(required=True)
    status = STATUS


class ModuleLessonSchema(Schema):
    lessonId = fields.UUID(required=True)
    title = fields.String(required=True)
    completed = fields.Boolean(required=True)
    completedAt = fields.String(required=True, allow_none=True)
    locked = fields.Boolean(required=True)


class ModuleDetailSchema(ModuleRollupSchema):
    lessons = fields.List(fields.Nested(ModuleLessonSchema), required=True)


class MarkResultSchema(Schema):
    lessonId = fields.UUID(required=True)
    completed = fields.Boolean(required=True)
    completedAt = fields.String(required=True, allow_none=True)
    module = fields.Nested(ModuleRollupSchema, required=True)
    overall = fields.Nested(RollupSchema, required=True)


class CompletedLessonSchema(Schema):
    lessonId = fields.UUID(required=True)
    completedAt = fields.String(required=True)


class CompletedLessonsSchema(Schema):
    lessons = fields.List(fields.Nested(CompletedLessonSchema), required=True)


class ContentItemSchema(Schema):
    contentId = fields.UUID(required=True)
    contentType = fields.String(required=True, validate=validate.OneOf(CONTENT_TYPES))
    status = STATUS
    progressPercentage = fields.Integer(required=True)
    score = fields.Integer(required=True, allow_none=True)
    data = fields.Raw(required=True, allow_none=True)
    completedAt = fields.String(required=True, allow_none=True)
    lastAccessedAt = fields.String(required=True, allow_none=True)
    # Modules, courses and themes: their counting lessons.
    completedCount = fields.Integer()
    totalCount = fields.Integer()


class LessonRefSchema(Schema):
    lessonId = fields.UUID(required=True)
    moduleId = fields.UUID(required=True)
    title = fields.String(required=True)
    lastAccessedAt = fields.String()


class NavigationSchema(Schema):
    courseId = fields.UUID(required=True)
    next = fields.Nested(LessonRefSchema, required=True, allow_none=True)
    resume = fields.Nested(LessonRefSchema, required=True, allow_none=True)


class CourseSummarySchema(NavigationSchema, RollupSchema):
    status = STATUS
    modulesCompleted = fields.Integer(required=True)
    modulesTotal = fields.Integer(required=True)
    modules = fields.List(fields.Nested(ModuleRollupSchema), required=True)
    enrolled = fields.Boolean(required=True)


class EnrollmentResultSchema(Schema):
    courseId = fields.UUID(required=True)
    enrolled = fields.Boolean(required=True)
    enrolledAt = fields.String()
    removed = fields.Boolean()
