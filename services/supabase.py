"""One service-role Supabase client per process, and the one place its errors are translated.

The client uses HTTP/1.1 (HTTP/2 on a shared sync client has produced "Server disconnected")
over one keep-alive connection per server thread (services.transport), a timeout of a few
seconds, no cookie jar, and no retries but one of a connection that could not be opened (the
request was not sent): a caller gets a fast 503 instead of a call retried for seven seconds.
It is never re-authenticated per request; learner identity is passed to SQL functions as an
argument, and the functions check it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, TYPE_CHECKING

import httpx
from flask import current_app, g, has_request_context
from postgrest.exceptions import APIError
from supabase import Client, ClientOptions, create_client

from observability import UPSTREAM_ERRORS

from .errors import BadRequest, Conflict, Forbidden, NotFound, ServiceError, Unavailable, code_for
from .transport import ServiceHttpClient, ThreadConnectionTransport

if TYPE_CHECKING:
    from .identity import Learner

# What a database failure means to a client, by SQLSTATE (exact code first, then its class). The
# message is written for clients; the database's own words go to the log with the request id.
SQLSTATE_ERRORS: dict[str, tuple[type[ServiceError], str]] = {
    "23505": (Conflict, "A value in the request is already taken."),
    "23503": (NotFound, "The request names something that does not exist."),
    "23502": (BadRequest, "A required value is missing."),
    "23": (BadRequest, "A value in the request breaks a rule of the data."),
    "22": (BadRequest, "A value in the request cannot be stored."),
    "42501": (Forbidden, "Not allowed."),
    "08": (Unavailable, "The database is not reachable right now; retry shortly."),
    "40": (Unavailable, "The database is busy; retry shortly."),
    "53": (Unavailable, "The database is busy; retry shortly."),
    "57": (Unavailable, "The database is busy or starting; retry shortly."),
    "PGRST000": (Unavailable, "The database is not reachable right now; retry shortly."),
    "PGRST001": (Unavailable, "The database is not reachable right now; retry shortly."),
    "PGRST002": (Unavailable, "The database is starting; retry shortly."),
    "PGRST003": (Unavailable, "The database is busy; retry shortly."),
}
log = logging.getLogger(__name__)


def init_app(app) -> None:
    """Create the app's one service-role client."""
    for setting in ("SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"):
        if not app.config[setting]:
            # One line, not a traceback: the usual first-hour mistake is a shell without .env.
            raise SystemExit(f"{setting} is not set: copy .env.example to .env, or run through make "
                             "(make run, make catalog, make user), which set it for the local stack.")
    http = ServiceHttpClient(http2=False, timeout=app.config["SUPABASE_TIMEOUT"],
                             transport=ThreadConnectionTransport(retries=1))
    options = ClientOptions(
        httpx_client=http,
        postgrest_client_retry=False,
        auto_refresh_token=False,
        persist_session=False,
    )
    app.extensions["supabase"] = create_client(
        app.config["SUPABASE_URL"], app.config["SUPABASE_SERVICE_ROLE_KEY"], options
    )


@dataclass(frozen=True)
class IdempotencyKey:
    """A request's Idempotency-Key and the fingerprint of the request it was first used for."""

    key: str
    fingerprint: str


def rpc(function: str, *, learner: Learner | None = None, idempotency: IdempotencyKey | None = None,
        check: Learner | None = None, **args: Any) -> Any:
    """Call `public.<function>` through PostgREST; translate failures into domain errors.

    Arguments are named as in Python and sent with the SQL functions' `p_` prefix. `learner`
    sends `p_learner_id` and `p_learner_kind` (for writes that may record a new learner); a
    function that takes the id alone gets `learner_id=`. Every call is a POST with the arguments
    in the body (in a GET's query string PostgREST would read `eq.x` as a filter, and the
    gateway's log would hold learner ids); PostgREST runs `stable` functions, every read here, in a
    read-only transaction all the same. With `idempotency`, `public.idempotent_call` runs the
    write and stores (or replays) its answer in the same transaction, under the key of the
    learner the call is for; the SQL function must be declared with
    `private.accepts_idempotency_key`.

    The learner a request acts for (services.identity.check_learner), or `check`, is named in
    `X-Learner-Check`: PostgREST's pre-request hook refuses the call, in its own transaction, if
    that learner may no longer act.
    """
    params = {f"p_{name}": value for name, value in args.items()}
    if learner is not None:
        params |= {"p_learner_id": learner.id, "p_learner_kind": learner.kind}
    if idempotency is not None:
        params = {
            "p_learner_id": params["p_learner_id"], "p_key": idempotency.key,
            "p_fingerprint": idempotency.fingerprint, "p_function": function, "p_args": params,
            "p_ttl_hours": current_app.config["IDEMPOTENCY_TTL_HOURS"],
        }
        function = "idempotent_call"
    client: Client = current_app.extensions["supabase"]
    call = client.rpc(function, params)
    if check is None and has_request_context():
        check = g.get("learner_check")
    if check is not None:
        call.request.headers["X-Learner-Check"] = f"{check.kind}:{check.id}"
    try:
        response = call.execute()
    except APIError as error:
        translated = translate(error)
        if translated.status >= 500:
            UPSTREAM_ERRORS.labels("postgrest" if _is_http_status(str(error.code or "")) else "database").inc()
        raise translated from error
    except httpx.TransportError as error:
        UPSTREAM_ERRORS.labels("unreachable").inc()
        log.warning("gateway unreachable", extra={"fields": {
            "requestId": g.get("request_id") if has_request_context() else None, "error": repr(error)}})
        raise Unavailable("The database is not reachable right now; retry shortly.") from error
    if check is not None:
        g.checked_learner = check
    return response.data


def translate(error: APIError) -> ServiceError:
    """Map a PostgREST error to the domain error it means.

    SQL functions raise `sqlstate 'PT4xx'` with a message and, in DETAIL, a JSON object of
    details: PostgREST answers with that HTTP status, and we keep the status, message and details
    (they are written for clients). Anything else is classified by its SQLSTATE class, logged
    with the database's words, and answered in ours; what no class names is a 500.
    """
    code = str(error.code or "")
    if code.startswith("PT") and code[2:].isdigit():
        details = _json_details(error.details)
        status = int(code[2:])
        return ServiceError(error.message or "request failed", details.get("details", {}), status=status,
                            code=details.get("code") or code_for(status))
    log.warning("database error", extra={"fields": {
        "requestId": g.get("request_id") if has_request_context() else None,
        "sqlstate": code, "message": error.message, "details": error.details, "hint": error.hint}})
    if _is_http_status(code):
        # Not PostgREST's JSON but a gateway's error page (PostgREST down or not answering).
        return Unavailable("The database is not reachable right now; retry shortly.")
    kind, message = SQLSTATE_ERRORS.get(code) or SQLSTATE_ERRORS.get(code[:2]) or (ServiceError, "")
    if kind is ServiceError:
        return ServiceError("Something went wrong on our side; it has been logged.")
    return kind(message)


def _is_http_status(code: str) -> bool:
    """An error without a SQLSTATE (5 characters) or PostgREST code carries the HTTP status of a
    page that was not PostgREST's: the gateway's, when PostgREST is down."""
    return not code or (len(code) == 3 and code.isdigit())


def _json_details(raw: Any) -> dict:
    """A function's DETAIL: a JSON object `{"code": ..., "details": {...}}`, or nothing."""
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
