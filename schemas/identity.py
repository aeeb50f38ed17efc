"""Anonymous learner registration, the caller's identity, and the health probe's answer."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class LearnerRegistrationSchema(Schema):
    """POST /api/learners: the client-generated UUID kept in localStorage."""

    userId = fields.UUID(required=True)


class LearnerTokenSchema(Schema):
    learnerId = fields.UUID(required=True)
    token = fields.String(required=True)
    tokenType = fields.String(required=True)
    expiresAt = fields.String(required=True)


class IdentitySchema(Schema):
    learnerId = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["account", "browser"]))
    anonymous = fields.Boolean(required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)
    migration = fields.String(required=True, allow_none=True)
