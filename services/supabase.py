"""One service-role Supabase client per process, and the one place its errors are translated.

The client uses HTTP/1.1 (HTTP/2 on a shared sync client has produced "Server disconnected"),
a timeout of a few seconds, and no automatic retries: a caller gets a fast 503 instead of a GET
retried for seven seconds. It is never re-authenticated per request; learner identity is passed
to SQL functions as an argument, and the functions check it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TYPE_CHECKING

import httpx
from flask import current_app
from postgrest.exceptions import APIError
from supabase import Client, ClientOptions, create_client

from observability import UPSTREAM_ERRORS

from .errors import BadRequest, Conflict, Forbidden, NotFound, ServiceError, Unavailable, code_for

if TYPE_CHECKING:
    from .identity import Learner

# PostgreSQL and PostgREST error codes, and what each means to a client.
SQLSTATE_ERRORS: dict[str, type[ServiceError]] = {
    "23505": Conflict,  # unique_violation
    "23503": NotFound,  # foreign_key_violation: the referenced item does not exist
    "23514": BadRequest,  # check_violation
    "22P02": BadRequest,  # invalid_text_representation (a malformed uuid, say)
    "22023": BadRequest,  # invalid_parameter_value
    "22007": BadRequest,  # invalid_datetime_format
    "42501": Forbidden,  # insufficient_privilege
    "57014": Unavailable,  # statement timeout
    "PGRST000": Unavailable,  # PostgREST cannot reach the database
    "PGRST001": Unavailable,  # the database connection broke
    "PGRST002": Unavailable,  # schema cache not loaded yet
    "PGRST003": Unavailable,  # timed out waiting for a pool connection
}


def init_app(app) -> None:
    """Create the app's one service-role client."""
    http = httpx.Client(http2=False, timeout=app.config["SUPABASE_TIMEOUT"])
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


def rpc(
    function: str, *, learner: Learner | None = None, read_only: bool = False,
    idempotency: IdempotencyKey | None = None, **args: Any,
) -> Any:
    """Call `public.<function>` through PostgREST; translate failures into domain errors.

    Arguments are named as in Python and sent with the SQL functions' `p_` prefix. `learner`
    sends `p_learner_id` and `p_learner_kind` (for writes that may record a new learner); a
    function that takes the id alone gets `learner_id=`. `read_only` sends a GET, which
    PostgREST runs in a read-only transaction. With `idempotency`, `public.idempotent_call` runs
    the write and stores (or replays) its answer in the same transaction, under the key of the
    learner the call is for; the SQL function must be declared with
    `private.accepts_idempotency_key`.
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
    return _call(function, params, read_only)


def _call(function: str, params: dict[str, Any], read_only: bool) -> Any:
    client: Client = current_app.extensions["supabase"]
    if read_only:
        # A GET sends arguments in the query string, where None would arrive as the text "None":
        # leave them out so that the function's defaults (null) apply.
        params = {name: value for name, value in params.items() if value is not None}
    try:
        response = client.rpc(function, params, get=read_only).execute()
    except APIError as error:
        translated = translate(error)
        if translated.status >= 500:
            # An HTTP status for a code means the gateway or PostgREST failed; a SQLSTATE, the database.
            code = str(error.code or "")
            UPSTREAM_ERRORS.labels("database" if code and not code.isdigit() else "postgrest").inc()
        raise translated from error
    except httpx.TransportError as error:
        UPSTREAM_ERRORS.labels("unreachable").inc()
        raise Unavailable("The database is not reachable right now; retry shortly.") from error
    return response.data


def translate(error: APIError) -> ServiceError:
    """Map a PostgREST error to the domain error it means.

    SQL functions raise `sqlstate 'PT4xx'` with a message and, in DETAIL, a JSON object of
    details: PostgREST answers with that HTTP status, and we keep the status, message and details.
    """
    code = str(error.code or "")
    details = _json_details(error.details)
    if code.startswith("PT") and code[2:].isdigit():
        status = int(code[2:])
        return ServiceError(
            error.message or "request failed",
            details.get("details", {}),
            status=status,
            code=details.get("code") or code_for(status),
        )
    if code.startswith("22") and code not in SQLSTATE_ERRORS:
        # data_exception: a value the database cannot hold (a NUL byte, a bad unicode escape, ...)
        return BadRequest("A value in the request cannot be stored.", {"sqlstate": code})
    if code in SQLSTATE_ERRORS:
        kind = SQLSTATE_ERRORS[code]
        message = error.message or kind.code
        if kind is Unavailable:
            message = "The database is busy or starting; retry shortly."
        return kind(message)
    if not code or code.isdigit() and int(code) >= 500 or code[:2] in ("08", "57", "40"):
        # A gateway error page (PostgREST down), a lost connection, a shutdown in progress, or
        # a deadlock / serialization failure: all worth a retry.
        return Unavailable("The database is not reachable right now; retry shortly.")
    return ServiceError("The database rejected the request.", {"sqlstate": code})


def _json_details(raw: Any) -> dict:
    """A function's DETAIL: a JSON object `{"code": ..., "details": {...}}`, or nothing."""
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
