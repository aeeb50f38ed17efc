"""The one place errors become responses, all in one JSON shape:

    {"error": "<message>", "code": "<machine code>", "status": 404, "details": {...},
     "requestId": "<X-Request-ID>"}

`error` is a plain message, as the seed contracts expect; `details` names bad fields and, for
locked lessons, the missing prerequisites.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, jsonify
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from extensions import refused_headers
from services.errors import ServiceError, code_for

bp = Blueprint("errors", __name__)
log = logging.getLogger(__name__)

def error_response(status: int, message: str, code: str | None = None, details=None):
    body = {
        "error": message,
        "code": code or code_for(status),
        "status": status,
        "details": details or {},
        "requestId": g.get("request_id"),
    }
    response = jsonify(body)
    response.status_code = status
    if status in (429, 503):
        response.headers.setdefault("Retry-After", str(current_app.config["RETRY_AFTER_SECONDS"]))
    return response


@bp.app_errorhandler(ServiceError)
def handle_service_error(error: ServiceError):
    return error_response(error.status, error.message, error.code, error.details)


@bp.app_errorhandler(HTTPException)
def handle_http_exception(error: HTTPException):
    response = error_response(error.code or 500, error.description or error.name)
    if isinstance(error, RateLimitExceeded):
        response.headers.update(refused_headers())
        return response
    retry_after = error.get_headers() and dict(error.get_headers()).get("Retry-After")
    if retry_after:
        response.headers["Retry-After"] = retry_after
    return response


@bp.app_errorhandler(Exception)
def handle_unexpected(error: Exception):
    log.exception("unhandled error", extra={"fields": {"requestId": g.get("request_id")}})
    return error_response(500, "Something went wrong on our side; it has been logged.")
