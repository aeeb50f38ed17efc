"""Marshmallow schemas, one module per contract; `load()` turns their errors into 400s."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema, ValidationError

from services.errors import BadRequest, ServiceError, ValidationFailed


def load(schema: Schema, data: Any) -> dict:
    """Validate and deserialize, or raise a 400 that names every bad field."""
    try:
        return schema.load(data if data is not None else {})
    except ValidationError as error:
        fields = error.messages if isinstance(error.messages, dict) else {"_body": error.messages}
        names = ", ".join(sorted(fields))
        raise ValidationFailed(f"Invalid request: {names}.", {"fields": fields}) from error


def json_body() -> Any:
    """The JSON body; an empty body is `{}`. Non-JSON content types get 415, bad JSON 400."""
    if not request.get_data(cache=True):
        return {}
    if not request.is_json:
        raise ServiceError(
            "Send the body as JSON with 'Content-Type: application/json'.",
            status=415,
            code="unsupported_media_type",
        )
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest("The request body is not valid JSON.", code="malformed_json")
    return body
