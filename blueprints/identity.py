"""Identity: who the service takes the caller for, and anonymous learner registration."""

from __future__ import annotations

import uuid

from flask import Blueprint, current_app, g, request

from extensions import rate_limit
from schemas import json_body, load
from schemas.identity import learner_registration_schema
from services.errors import Forbidden, ServiceError, Unauthorized, ValidationFailed
from services.identity import Learner, register_browser_learner, token_verifier

bp = Blueprint("identity", __name__)


def resolve_bearer_token() -> None:
    """Before every request: verify a bearer token if one is sent; failures surface on use."""
    g.learner, g.identity_error = None, None
    header = request.headers.get("Authorization", "")
    if not header:
        return
    scheme, _, token = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Send the token as 'Authorization: Bearer <token>'.")
        learner = token_verifier().verify(token.strip())
        if learner.kind == "browser" and current_app.config["ANONYMOUS_LEARNERS"] == "off":
            raise Unauthorized("Anonymous learners are turned off on this service.")
        g.learner = learner
    except ServiceError as error:
        g.identity_error = error


def current_learner(claimed_user_id: str | None = None) -> Learner:
    """The verified caller. A `userId` carried by the request must name that caller (else 403).

    With ANONYMOUS_LEARNERS=open and no token, the `userId` alone identifies an anonymous
    learner, as seed 000 does.
    """
    if g.identity_error:
        raise g.identity_error
    learner = g.learner
    if learner is None:
        if current_app.config["ANONYMOUS_LEARNERS"] == "open" and claimed_user_id:
            return Learner(_as_uuid(claimed_user_id), "browser", True)
        raise Unauthorized("Sign in, or send your learner token as 'Authorization: Bearer'.")
    if claimed_user_id is not None and _normalized(claimed_user_id) != learner.id:
        raise Forbidden("userId does not name the caller.")
    return learner


def _as_uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError) as error:
        raise ValidationFailed("userId must be a UUID.", {"fields": {"userId": ["Not a valid UUID."]}}) from error


def _normalized(value: str) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


@bp.post("/api/learners")
@rate_limit("RATELIMIT_WRITE")
def register_learner():
    """Register an anonymous browser learner's UUID once and return its bearer token."""
    if current_app.config["ANONYMOUS_LEARNERS"] == "off":
        raise Forbidden("Anonymous learners are turned off on this service.")
    learner_id = str(load(learner_registration_schema, json_body())["userId"])
    register_browser_learner(learner_id)
    return {"learnerId": learner_id, **token_verifier().issue_learner_token(learner_id)}, 201


@bp.get("/api/identity")
def identity():
    """Who the service takes the caller for (403 if `userId` is given and is someone else)."""
    return current_learner(request.args.get("userId")).as_dict()
