"""Identity: who the service takes the caller for, and anonymous learner registration."""

from __future__ import annotations

from flask import Blueprint, current_app, g, request

from blueprints.endpoints import endpoint, require_identity
from schemas.identity import IdentitySchema, LearnerRegistrationSchema, LearnerTokenSchema
from schemas.params import as_uuid
from schemas.progress import LearnerQuerySchema
from services.errors import Forbidden, ServiceError, Unauthorized
from services.identity import Learner, check_browser_learner, register_browser_learner, token_verifier

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
        learner = token_verifier().learner(token.strip())
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
    require_identity()
    learner = g.learner
    if learner is None:
        if claimed_user_id:
            learner_id = as_uuid(claimed_user_id, "userId")
            check_browser_learner(learner_id)
            return Learner(learner_id, "browser", True)
        raise Unauthorized("Sign in, or send your learner token as 'Authorization: Bearer'.")
    if claimed_user_id is not None and not _same_uuid(claimed_user_id, learner.id):
        raise Forbidden("userId does not name the caller.")
    return learner


def _same_uuid(claimed: str, learner_id: str) -> bool:
    try:
        return as_uuid(claimed, "userId") == learner_id
    except ServiceError:
        return False


@bp.post("/api/learners")
@endpoint(body=LearnerRegistrationSchema, response=LearnerTokenSchema, status=201, public=True,
          limit="RATELIMIT_WRITE")
def register_learner(body: dict):
    """Register an anonymous browser learner's UUID once and return its bearer token."""
    if current_app.config["ANONYMOUS_LEARNERS"] == "off":
        raise Forbidden("Anonymous learners are turned off on this service.")
    learner_id = str(body["userId"])
    register_browser_learner(learner_id)
    return {"learnerId": learner_id, **token_verifier().issue_learner_token(learner_id)}, 201


@bp.get("/api/identity")
@endpoint(query=LearnerQuerySchema, response=IdentitySchema)
def identity(query: dict):
    """Who the service takes the caller for (403 if `userId` is given and is someone else)."""
    return current_learner(query.get("userId")).as_dict()
