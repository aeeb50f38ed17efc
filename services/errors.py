"""Domain errors: services and views raise these; `blueprints/errors.py` renders them."""

from __future__ import annotations

from typing import Any


# The machine code of each status, when nothing more specific is known (one table for every layer).
STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 422: "unprocessable", 429: "rate_limited",
    500: "internal_error", 503: "unavailable",
}


def code_for(status: int) -> str:
    return STATUS_CODES.get(status, "error")


class ServiceError(Exception):
    """An error with the HTTP status and machine-readable code the client should see."""

    status = 500
    code = code_for(500)

    def __init__(self, message: str, details: dict[str, Any] | None = None, *, status=None, code=None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code


class BadRequest(ServiceError):
    status, code = 400, code_for(400)


class ValidationFailed(BadRequest):
    code = "validation_failed"


class Unauthorized(ServiceError):
    status, code = 401, code_for(401)


class Forbidden(ServiceError):
    status, code = 403, code_for(403)


class NotFound(ServiceError):
    status, code = 404, code_for(404)


class Conflict(ServiceError):
    status, code = 409, code_for(409)


class Unprocessable(ServiceError):
    status, code = 422, code_for(422)


class Unavailable(ServiceError):
    """PostgREST or the database did not answer: the client should retry later."""

    status, code = 503, code_for(503)
