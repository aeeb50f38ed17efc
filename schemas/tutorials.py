"""Seed 002's tutorial payloads and answers (camelCase, as the seed writes them)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas import ScoreWithinMax, StrictBoolean, seconds
from schemas.progress import LearnerQuerySchema

KEY = validate.Length(min=1, max=255)


class ChapterSchema(LearnerQuerySchema):
    chapterId = fields.String(required=True, validate=KEY)
    watchTime = seconds(required=True)
    completed = StrictBoolean(load_default=False)
    lastPosition = seconds()
    totalChapters = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))


class QuizSchema(LearnerQuerySchema, ScoreWithinMax):
    quizId = fields.String(required=True, validate=KEY)
    score = fields.Integer(strict=True, required=True, validate=validate.Range(min=0))
    maxScore = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=1_000_000))
    # Seed 002 sends its own verdict (required, as the seed has it); the server decides from the
    # score and the pass mark.
    passed = StrictBoolean(required=True)
    answers = fields.Raw()
    timeTaken = fields.Integer(strict=True, validate=validate.Range(min=0))
    # A client-made id for this attempt: retries with it count once (as Idempotency-Key does).
    attemptId = fields.String(validate=KEY)


# ----- answers ----------------------------------------------------------------------------------
class ChapterProgressSchema(Schema):
    chapterId = fields.String(required=True)
    watchTime = fields.Float(required=True)
    completed = fields.Boolean(required=True)
    lastPosition = fields.Float(required=True)


class QuizScoreSchema(Schema):
    quizId = fields.String(required=True)
    score = fields.Integer(required=True)
    maxScore = fields.Integer(required=True)
    passed = fields.Boolean(required=True)
    attempts = fields.Integer(required=True)
    completedAt = fields.String(required=True, allow_none=True)


class TutorialStateSchema(Schema):
    tutorialId = fields.String(required=True)
    userId = fields.UUID(required=True)
    completionPercentage = fields.Integer(required=True)
    chaptersCompleted = fields.Integer(required=True)
    totalChapters = fields.Integer(required=True)
    chapterProgress = fields.List(fields.Nested(ChapterProgressSchema), required=True)
    quizScores = fields.List(fields.Nested(QuizScoreSchema), required=True)
    certificateEligible = fields.Boolean(required=True)
    certificateEarned = fields.Boolean(required=True)
    certificateId = fields.UUID(required=True, allow_none=True)
    totalWatchTime = fields.Float(required=True)
    lastWatchedAt = fields.String(required=True, allow_none=True)


class ResetResultSchema(Schema):
    success = fields.Boolean(required=True)
    message = fields.String(required=True)


class CertificateBasisSchema(Schema):
    """What a certificate rests on: a catalog course (and who publishes it), or the learner's word."""

    kind = fields.String(required=True, validate=validate.OneOf(["catalog", "self-declared"]))
    courseId = fields.UUID(required=True, allow_none=True)
    publisher = fields.String(required=True, allow_none=True)


class CertificateSchema(Schema):
    certificateId = fields.UUID(required=True)
    valid = fields.Boolean(required=True, metadata={"description": "Not revoked, and for a catalog course."})
    status = fields.String(required=True, validate=validate.OneOf(["valid", "revoked", "self-declared"]))
    basis = fields.Nested(CertificateBasisSchema, required=True)
    courseTitle = fields.String(required=True)
    learnerName = fields.String(required=True, allow_none=True)
    holder = fields.String(required=True, validate=validate.OneOf(["on record", "holder erased at their request"]))
    completedAt = fields.String(required=True)
    revokedAt = fields.String(required=True, allow_none=True)
