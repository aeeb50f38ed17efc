"""Seed 000's progress document, version 1 as the seed sends it, and version 2's additions:
`deviceId` (so that time from two devices adds up) and per-lesson `completedAt` / `unmarkedAt`
(so that a later unmark beats an older completion)."""

from __future__ import annotations

import datetime as dt
import math

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas import StrictFloat
from schemas.progress import ContentItemSchema, LearnerQuerySchema

LESSON_ID = fields.String(validate=validate.Length(min=1, max=100))


class LessonTimes(fields.Dict):
    """Seconds per lesson id: marshmallow's Dict of LESSON_ID to a number from 0. Seed 000's
    client names every lesson it knows in every save, and the Dict checks each key and value
    through a field of its own (BENCHMARKS.md round 23): a map that is plainly valid is taken in
    one pass, and any other goes to the Dict, whose errors the client gets as before."""

    def __init__(self, **options) -> None:
        super().__init__(keys=LESSON_ID, values=StrictFloat(validate=validate.Range(min=0)), **options)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict) and all(type(key) is str and 0 < len(key) <= 100 and plain_seconds(seconds)
                                           for key, seconds in value.items()):
            return {key: float(seconds) for key, seconds in value.items()}
        return super()._deserialize(value, attr, data, **kwargs)


def plain_seconds(value) -> bool:
    """A number from 0 that a float holds as it is: what StrictFloat with Range(min=0) takes as is."""
    return (type(value) is float and 0 <= value < math.inf) or (type(value) is int and 0 <= value <= 2**53)


class ProgressDocumentSchema(Schema):
    version = fields.Integer(strict=True, validate=validate.OneOf([1, 2]))
    completedLessonIds = fields.List(LESSON_ID)
    lastLessonId = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    # Over MAX_SECONDS_PER_LESSON, a lesson's time is named as rejected and the rest stands.
    lessonTimes = LessonTimes()
    # Derived by the server from lessonTimes; accepted (and ignored) for seed clients.
    timeSpentSeconds = StrictFloat(validate=validate.Range(min=0))
    completedAt = fields.Dict(keys=LESSON_ID, values=fields.AwareDateTime(default_timezone=dt.UTC))
    unmarkedAt = fields.Dict(keys=LESSON_ID, values=fields.AwareDateTime(default_timezone=dt.UTC))
    # Sent back by clients that save the document they were given.
    updatedAt = fields.String(allow_none=True)

    @validates_schema
    def within_limits(self, data, **_):
        ids = set(data.get("completedLessonIds", [])) | set(data.get("lessonTimes", {}))
        ids |= set(data.get("completedAt", {})) | set(data.get("unmarkedAt", {}))
        most = current_app.config["MAX_LESSONS_PER_SAVE"]
        if len(ids) > most:
            raise ValidationError(f"At most {most} lessons per save.", "completedLessonIds")


class SaveSchema(LearnerQuerySchema):
    courseId = fields.UUID(required=True)
    progress = fields.Nested(ProgressDocumentSchema, required=True)
    clientUpdatedAt = fields.AwareDateTime(default_timezone=dt.UTC, allow_none=True)
    deviceId = fields.String(validate=validate.Length(min=1, max=100))


class ClaimSchema(Schema):
    userId = fields.UUID(required=True)
    token = fields.String(required=True, validate=validate.Length(min=1, max=4096))



# ----- answers ----------------------------------------------------------------------------------
class DocumentSchema(Schema):
    """Seed 000's document as the server answers it (version 2)."""

    version = fields.Integer(required=True)
    completedLessonIds = fields.List(fields.String(), required=True)
    lastLessonId = fields.String(required=True, allow_none=True)
    lessonTimes = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    timeSpentSeconds = fields.Float(required=True)
    completedAt = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    updatedAt = fields.String(required=True, allow_none=True)


class RejectedPartSchema(Schema):
    """A part of a save that was not applied, and why; the rest of the save stands."""

    lessonId = fields.String(required=True)
    field = fields.String(required=True, validate=validate.OneOf(
        ["completedLessonIds", "lessonTimes", "completedAt", "unmarkedAt", "lastLessonId"]))
    reason = fields.String(required=True, validate=validate.OneOf(["unknown_lesson", "unpublished", "over_limit"]))


class SaveResultSchema(Schema):
    progress = fields.Nested(DocumentSchema, required=True, allow_none=True)
    rejected = fields.List(fields.Nested(RejectedPartSchema), required=True)
    ignoredLessonIds = fields.List(fields.String(), required=True,
                                   metadata={"description": "Every lesson id named in `rejected`."})


class ProgressSchema(Schema):
    """GET /api/progress: `items` (seed 004's list), or with courseId `progress` (seed 000)."""

    items = fields.List(fields.Nested(ContentItemSchema))
    progress = fields.Nested(DocumentSchema, allow_none=True)


class ListedDocumentSchema(Schema):
    course_id = fields.UUID(required=True)
    progress = fields.Nested(DocumentSchema, required=True)
    updated_at = fields.String(required=True, allow_none=True)


class DocumentListSchema(Schema):
    items = fields.List(fields.Nested(ListedDocumentSchema), required=True)


class DeleteResultSchema(Schema):
    courseId = fields.UUID(required=True)
    deleted = fields.Boolean(required=True)


class HistoryEntrySchema(Schema):
    deviceId = fields.String(required=True, allow_none=True)
    before = fields.Raw(required=True, allow_none=True)
    incoming = fields.Raw(required=True)
    after = fields.Raw(required=True, allow_none=True)
    createdAt = fields.String(required=True)


class HistorySchema(Schema):
    items = fields.List(fields.Nested(HistoryEntrySchema), required=True)


class ClaimResultSchema(Schema):
    claimed = fields.Boolean(required=True)
    learnerId = fields.UUID(required=True)
    anonymousUserId = fields.UUID(required=True)
    courses = fields.Integer(required=True)
