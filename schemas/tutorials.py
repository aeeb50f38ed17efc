"""Seed 002's tutorial payloads (camelCase, as the seed writes them)."""

from __future__ import annotations

from schemas import StrictBoolean
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

KEY = validate.Length(min=1, max=255)


class LearnerBodySchema(Schema):
    userId = fields.String()


class ChapterSchema(LearnerBodySchema):
    chapterId = fields.String(required=True, validate=KEY)
    watchTime = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=10 * 86_400))
    completed = StrictBoolean(load_default=False)
    lastPosition = fields.Integer(strict=True, validate=validate.Range(min=0, max=10 * 86_400))
    totalChapters = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))


class QuizSchema(LearnerBodySchema):
    quizId = fields.String(required=True, validate=KEY)
    score = fields.Integer(strict=True, required=True, validate=validate.Range(min=0))
    maxScore = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=1_000_000))
    passed = StrictBoolean(required=True)
    answers = fields.Raw()
    timeTaken = fields.Integer(strict=True, validate=validate.Range(min=0))
    # A client-made id for this attempt: retries with it count once (as Idempotency-Key does).
    attemptId = fields.String(validate=KEY)

    @validates_schema
    def score_within_max(self, data, **_):
        if "score" in data and "maxScore" in data and data["score"] > data["maxScore"]:
            raise ValidationError("Score must be between 0 and maxScore.", "score")


learner_body_schema = LearnerBodySchema()
chapter_schema = ChapterSchema()
quiz_schema = QuizSchema()
