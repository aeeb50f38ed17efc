"""A learner's data: the export's shape, the erasure's confirmation and answer."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class ErasureSchema(Schema):
    """DELETE /api/me: the caller's own learner id, so that nobody erases by accident."""

    confirm = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ExportSchema(Schema):
    learnerId = fields.UUID(required=True)
    exportedAt = fields.String(required=True)
    learner = fields.Dict(required=True, allow_none=True, metadata={"description": "points, streak, time zone, ..."})
    profile = fields.Dict(required=True, allow_none=True)
    claimedBrowserLearners = fields.List(fields.Dict(), required=True)
    tables = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()), required=True,
                         metadata={"description": "Every table with the learner's rows, by table name, as stored."})


class ErasedSchema(Schema):
    erased = fields.Boolean(required=True)
    learnerId = fields.UUID(required=True)
    removed = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                          metadata={"description": "Rows removed, by table."})
