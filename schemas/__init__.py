"""Marshmallow schemas, one module per contract; `load()` turns their errors into 400s."""

from __future__ import annotations

import math
from typing import Any

from flask import current_app, request
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from werkzeug.exceptions import RequestEntityTooLarge

from services.errors import BadRequest, ServiceError, ValidationFailed


class StrictBoolean(fields.Boolean):
    """JSON true and false only (marshmallow also takes 1, "yes", "on", ...)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class StrictFloat(fields.Float):
    """A finite JSON number, not a string of digits."""

    def _validated(self, value):
        if isinstance(value, (str, bool)):
            raise self.make_error("invalid")
        return super()._validated(value)


def seconds(most: int = 10 * 86_400, **options) -> StrictFloat:
    """Seconds as players and timers report them: any finite number from 0 (fractions kept to
    the millisecond by the database)."""
    return StrictFloat(validate=validate.Range(min=0, max=most), **options)


class ScoreWithinMax(Schema):
    """For quiz attempts (seeds 001 and 002): a score above maxScore is a 400, never a 500."""

    @validates_schema
    def score_within_max(self, data, **_):
        if "score" in data and "maxScore" in data and data["score"] > data["maxScore"]:
            raise ValidationError("Score must be between 0 and maxScore.", "score")


def load(schema: Schema, data: Any) -> dict:
    """Validate and deserialize, or raise a 400 that names every bad field."""
    try:
        return schema.load(data if data is not None else {})
    except ValidationError as error:
        fields = error.messages if isinstance(error.messages, dict) else {"_body": error.messages}
        names = ", ".join(sorted(fields))
        raise ValidationFailed(f"Invalid request: {names}.", {"fields": fields}) from error


def json_body() -> Any:
    """The JSON body; an empty body is `{}`. Non-JSON content types get 415, bad JSON 400, a body
    over MAX_CONTENT_LENGTH 413 however it was sent (a chunked one is cut at the limit: a body
    that reaches it is taken as over it)."""
    data = request.get_data(cache=True)
    if request.content_length is None and len(data) >= current_app.config["MAX_CONTENT_LENGTH"]:
        raise RequestEntityTooLarge()
    if not data:
        return {}
    if not request.is_json:
        raise ServiceError(
            "Send the body as JSON with 'Content-Type: application/json'.",
            status=415,
            code="unsupported_media_type",
        )
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if body is None:
        raise BadRequest("The request body is not valid JSON.", code="malformed_json")
    _check_storable(body)
    return body


MAX_JSON_DEPTH = 32


def _check_storable(value: Any) -> None:
    """Refuse what no layer below can hold: nesting deeper than MAX_JSON_DEPTH, numbers JSON
    cannot carry on (NaN, Infinity, 1e309), and strings that are not valid Unicode (lone
    surrogates). Iterative, so a hostile body cannot exhaust the stack."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(f"The request body nests deeper than {MAX_JSON_DEPTH} levels.", code="too_deep")
        if isinstance(item, dict):
            stack.extend((key, depth + 1) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise BadRequest("The request body holds a number that is not finite (NaN or Infinity).",
                             code="non_finite_number")
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as error:
                raise BadRequest("The request body holds text that is not valid Unicode.", code="invalid_text") from error
