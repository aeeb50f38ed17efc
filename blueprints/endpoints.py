"""One declaration per endpoint: what it reads (path parameters, query, body, Idempotency-Key),
what it answers (status and response schema), whether it needs an identity, and its rate limit.

    @bp.post("/lessons/<lesson_id>")
    @endpoint(path={"lesson_id": uuid_param("lessonId")}, body=MarkLessonSchema, response=MarkSchema,
              limit="RATELIMIT_WRITE", idempotent=True)
    def mark_lesson(lesson_id, body, key): ...

The view gets the loaded values as arguments; the rate limiter (`extensions`) and the OpenAPI
document (`blueprints.openapi`) read the same declaration from `view.declaration`.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask import Flask, current_app, g, request
from marshmallow import Schema

from schemas import json_body, load
from schemas.params import PathParam
from services.errors import Unauthorized, ValidationFailed
from services.identity import check_learner, finish_learner_check
from services.supabase import IdempotencyKey


@dataclass(frozen=True)
class Endpoint:
    """What one endpoint reads and answers; see the module docstring."""

    response: type[Schema] | Schema | None = None
    status: int = 200
    body: type[Schema] | Schema | None = None
    body_optional: bool = False
    query: type[Schema] | Schema | None = None
    path: Mapping[str, PathParam] = field(default_factory=dict)
    idempotent: bool = False
    public: bool = False  # no identity needed
    html: bool = False
    csv: bool = False
    limit: str | None = None  # the config key of its rate limit, on top of the default
    exempt: bool = False  # from every rate limit
    note: str | None = None
    plain_404: bool = False  # a 404 answers the success shape with nulls (seed 000's GET)
    conditional: bool = False  # answers with an ETag, and 304 to a matching If-None-Match


def endpoint(**declared) -> Callable:
    """Declare an endpoint (see Endpoint) and load what it reads before the view runs."""
    spec = Endpoint(**declared)
    body = spec.body() if isinstance(spec.body, type) else spec.body
    query = spec.query() if isinstance(spec.query, type) else spec.query

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def loaded(**path_values):
            if not spec.public:
                require_identity()
            arguments = {name: spec.path[name].load(value) for name, value in path_values.items()}
            if query is not None:
                arguments["query"] = loaded_query(query)
            if body is not None:
                arguments["body"] = load(body, json_body())
            if spec.idempotent:
                arguments["key"] = idempotency_key()
            answer = view(**arguments)
            finish_learner_check()
            return answer

        loaded.declaration = spec
        return loaded

    return decorate


def loaded_query(schema: Schema) -> dict:
    """The request's query as `schema` loads it: a copy of its string's load (below)."""
    return dict(query_as_loaded(schema, request.query_string))


@functools.lru_cache(maxsize=4096)
def query_as_loaded(schema: Schema, query_string: bytes) -> dict:
    """Loading is a pure function of the query string, and a polling client sends the same one
    again and again: each string is loaded once per worker. A string that fails is loaded, and
    refused, every time. Called by `loaded_query` alone, with the request's own string as the key."""
    return load(schema, request.args)


def require_identity() -> None:
    """401 before anything else is read: a bad token, or none where one is needed. (With
    ANONYMOUS_LEARNERS=open, a request may name its anonymous learner by `userId` instead.) A
    token's learner is then checked with the database: in the request's own calls where PostgREST
    checks them, else now (services.identity.check_learner)."""
    if g.identity_error:
        raise g.identity_error
    if g.learner is None and current_app.config["ANONYMOUS_LEARNERS"] != "open":
        raise Unauthorized("Sign in, or send your learner token as 'Authorization: Bearer'.")
    if g.learner is not None:
        check_learner(g.learner)


def idempotency_key() -> IdempotencyKey | None:
    """The request's Idempotency-Key with the fingerprint of its method, path and body."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _well_formed(key):
        raise ValidationFailed("Idempotency-Key must be 1 to 255 printable characters.",
                               {"fields": {"Idempotency-Key": ["Invalid."]}})
    body = hashlib.sha256(request.get_data(cache=True)).hexdigest()
    return IdempotencyKey(key, f"{request.method} {request.path}?{request.query_string.decode()} {body}")


ONE_STRONG_TAG = re.compile(r'"([^"]+)"')


def if_none_match() -> str | None:
    """The one entity tag of If-None-Match (the client sends back the ETag it was given). The
    usual header, the one quoted tag a polling client was given, is read as it stands; any other
    form (a list, a weak tag, `*`) as werkzeug parses it."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return None
    if one := ONE_STRONG_TAG.fullmatch(header):
        return one[1]
    tags = request.if_none_match
    return next(iter(tags), None) if tags else None


def _well_formed(key: str) -> bool:
    return 1 <= len(key) <= 255 and key.isprintable()


def csp_nonce() -> str:
    """This response's nonce for its inline <script> and <style> (templates call it)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str) -> str:
    """What an HTML page of ours may load: its own scripts and the nonce's, calls to this origin."""
    return (f"default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
            "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def edge_headers(response):
        """Every response: nosniff; no-store where the answer depends on the caller; a CSP on
        HTML pages (not on a 204 or 304, which carry no page: Flask names their empty body
        text/html); Retry-After only where retrying later helps (429, 503); the Idempotency-Key
        echoed (seed 003), so that clients and logs can match retries."""
        response.headers["X-Content-Type-Options"] = "nosniff"
        view = app.view_functions.get(request.endpoint)
        declaration = getattr(view, "declaration", None)
        if request.endpoint != "static" and not (declaration and declaration.public):
            response.headers["Cache-Control"] = "no-store"
        if response.mimetype == "text/html" and response.status_code not in (204, 304):
            response.headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
        if response.status_code not in (429, 503):
            response.headers.remove("Retry-After")
        key = request.headers.get("Idempotency-Key")
        if key and _well_formed(key):
            response.headers["Idempotency-Key"] = key
        return response
