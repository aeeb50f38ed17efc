"""Seed 000's progress document, version 1 as the seed sends it, and version 2's additions:
`deviceId` (so that time from two devices adds up) and per-lesson `completedAt` / `unmarkedAt`
(so that a later unmark beats an older completion)."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

LESSON_ID = fields.String(validate=validate.Length(min=1, max=100))


class ProgressDocumentSchema(Schema):
    version = fields.Integer(strict=True, validate=validate.OneOf([1, 2]))
    completedLessonIds = fields.List(LESSON_ID)
    lastLessonId = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    lessonTimes = fields.Dict(keys=LESSON_ID, values=fields.Integer(strict=True, validate=validate.Range(min=0)))
    # Derived by the server from lessonTimes; accepted (and ignored) for seed clients.
    timeSpentSeconds = fields.Integer(strict=True, validate=validate.Range(min=0))
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
        ceiling = current_app.config["MAX_SECONDS_PER_LESSON"]
        absurd = sorted(k for k, v in data.get("lessonTimes", {}).items() if v > ceiling)
        if absurd:
            raise ValidationError(f"More than {ceiling} seconds for lessons {', '.join(absurd)}.", "lessonTimes")


class SaveSchema(Schema):
    userId = fields.String()
    courseId = fields.UUID(required=True)
    progress = fields.Nested(ProgressDocumentSchema, required=True)
    clientUpdatedAt = fields.AwareDateTime(default_timezone=dt.UTC, allow_none=True)
    deviceId = fields.String(validate=validate.Length(min=1, max=100))


class DocumentQuerySchema(Schema):
    userId = fields.String()
    courseId = fields.UUID(required=True)


class ClaimSchema(Schema):
    userId = fields.UUID(required=True)
    token = fields.String(required=True, validate=validate.Length(min=1, max=4096))


save_schema = SaveSchema()
document_query_schema = DocumentQuerySchema()
claim_schema = ClaimSchema()
