"""Domain errors: services and views raise these; `blueprints/errors.py` renders them."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """An error with the HTTP status and machine-readable code the client should see."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, details: dict[str, Any] | None = None, *, status=None, code=None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code


class BadRequest(ServiceError):
    status, code = 400, "bad_request"


class ValidationFailed(BadRequest):
    code = "validation_failed"


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class Unprocessable(ServiceError):
    status, code = 422, "unprocessable"


class Unavailable(ServiceError):
    """PostgREST or the database did not answer: the client should retry later."""

    status, code = 503, "unavailable"
