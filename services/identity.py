"""Who is calling: Supabase Auth access tokens and this service's anonymous learner tokens.

Supabase tokens are verified here, not trusted: ES256/RS256 against the project's JWKS (fetched
over HTTP and cached), HS256 against the project's JWT secret. The algorithm is pinned to the
key that verifies it, `aud=authenticated`, `exp` and `sub` are required. Anonymous browser
learners (seed 000) get a token of the same form, signed with the JWT secret, so PostgREST and
RLS accept it exactly like a Supabase one.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import jwt

from flask import current_app, g

from .errors import ServiceError, Unauthorized
from .supabase import rpc

LEARNER_TOKEN_ISSUER = "learner-progress"
ASYMMETRIC_ALGORITHMS = ("ES256", "RS256")
VERIFIED_TOKENS_KEPT = 10_000  # per process; about 2 MB at most
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Learner:
    """A verified caller. `kind` is `account` (Supabase Auth) or `browser` (anonymous UUID)."""

    id: str
    kind: str
    anonymous: bool

    def as_dict(self) -> dict:
        return {"learnerId": self.id, "kind": self.kind, "anonymous": self.anonymous}


# No account has the nil UUID: the database refuses a call that names it (database_checks_calls).
NO_ONE = Learner("00000000-0000-0000-0000-000000000000", "account", False)


class TokenVerifier:
    """Verifies bearer tokens and issues anonymous learner tokens; one per app, JWKS cached."""

    def __init__(self, config) -> None:
        self.secret = config["SUPABASE_JWT_SECRET"]
        self.jwks_url = config["SUPABASE_URL"].rstrip("/") + "/auth/v1/.well-known/jwks.json"
        self.cache_seconds = config["JWKS_CACHE_SECONDS"]
        self.timeout = config["SUPABASE_TIMEOUT"]
        self.token_ttl = config["LEARNER_TOKEN_TTL"]
        self.recheck_seconds = config["IDENTITY_RECHECK_SECONDS"]
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()
        self._signed: dict[str, tuple[Learner, float]] = {}
        self._confirmed: dict[Learner, float] = {}
        self._calls_checked: tuple[bool, float] = (False, float("-inf"))

    # ----- verification ------------------------------------------------------------------------
    def learner(self, token: str) -> Learner:
        """The token's learner, its signature and claims verified. A browser sends the same token
        with every request: a verified token is remembered until it expires."""
        remembered = self._signed.get(token)
        if remembered and remembered[1] > time.time():
            return remembered[0]
        self._signed.pop(token, None)
        learner, expires_at = self._verify(token)
        if len(self._signed) >= VERIFIED_TOKENS_KEPT:
            self._signed.clear()
        self._signed[token] = (learner, expires_at)
        return learner

    def verify(self, token: str) -> Learner:
        """The token's learner, verified, and confirmed by the database with a call of its own (for
        a second learner in one request, whose check cannot ride in the request's calls)."""
        learner = self.learner(token)
        self.confirm(learner)
        return learner

    def confirm(self, learner: Learner) -> None:
        """Ask the database whether the learner may still act (not erased, account not deleted);
        a yes is remembered for IDENTITY_RECHECK_SECONDS."""
        if self._confirmed.get(learner, 0) > time.time():
            return
        check_identity(learner)
        if len(self._confirmed) >= VERIFIED_TOKENS_KEPT:
            self._confirmed.clear()
        self._confirmed[learner] = time.time() + self.recheck_seconds

    def database_checks_calls(self) -> bool:
        """Whether PostgREST checks the learner named in each call (private.check_request, its
        pre-request hook): asked with a learner no account has, every IDENTITY_RECHECK_SECONDS
        (and at most once a second). A database without the hook is never trusted to check."""
        checks, until = self._calls_checked
        if until > time.time():
            return checks
        try:
            rpc("service_health", check=NO_ONE)
            checks = False
            log.warning("PostgREST does not run private.check_request before calls "
                        "(pgrst.db_pre_request): each learner is checked with a call of its own")
        except ServiceError as error:
            if error.code != "account_deleted":
                raise
            checks = True
        self._calls_checked = (checks, time.time() + max(self.recheck_seconds, 1))
        return checks

    def forget(self, learner_id: str) -> None:
        """Stop trusting every remembered token of a learner (after their erasure)."""
        for token, (learner, _) in list(self._signed.items()):
            if learner.id == learner_id:
                self._signed.pop(token, None)
        for learner in list(self._confirmed):
            if learner.id == learner_id:
                self._confirmed.pop(learner, None)

    def _verify(self, token: str) -> tuple[Learner, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise Unauthorized("The bearer token is malformed.") from error
        algorithm = header.get("alg")
        if algorithm == "HS256" and self.secret:
            key = self.secret
        elif algorithm in ASYMMETRIC_ALGORITHMS:
            key = self._signing_key(header.get("kid"), algorithm)
        else:
            raise Unauthorized(f"Tokens signed with {algorithm!r} are not accepted.")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience="authenticated",
                options={"require": ["exp", "sub", "aud"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthorized("The bearer token has expired.") from error
        except jwt.PyJWTError as error:
            raise Unauthorized(f"The bearer token is not valid: {error}.") from error
        try:
            learner_id = str(uuid.UUID(claims["sub"]))
        except (ValueError, TypeError, AttributeError) as error:
            raise Unauthorized("The bearer token's subject is not a learner id.") from error
        kind = "browser" if claims.get("iss") == LEARNER_TOKEN_ISSUER else "account"
        return Learner(learner_id, kind, bool(claims.get("is_anonymous", False))), float(claims["exp"])

    def _signing_key(self, kid: str | None, algorithm: str):
        key = self._cached_key(kid, refresh_if_missing=True)
        if key is None or key.algorithm_name != algorithm:
            raise Unauthorized("The bearer token was signed by an unknown key.")
        return key.key

    def _cached_key(self, kid: str | None, refresh_if_missing: bool) -> jwt.PyJWK | None:
        with self._lock:
            stale = time.monotonic() - self._fetched_at > self.cache_seconds
            # An unknown kid may be a rotated key: refetch, but at most every few seconds.
            recently = time.monotonic() - self._fetched_at < 5
            if stale or (kid not in self._keys and refresh_if_missing and not recently):
                self._keys = self._fetch_jwks()
                self._fetched_at = time.monotonic()
            return self._keys.get(kid)

    def _fetch_jwks(self) -> dict[str, jwt.PyJWK]:
        try:
            response = httpx.get(self.jwks_url, timeout=self.timeout)
            response.raise_for_status()
            keys = response.json().get("keys", [])
        except (httpx.HTTPError, ValueError) as error:
            raise Unauthorized("The project's signing keys could not be fetched.") from error
        usable = {}
        for jwk in keys:
            try:
                usable[jwk.get("kid")] = jwt.PyJWK(jwk)
            except jwt.PyJWTError:
                continue
        return usable

    # ----- anonymous learner tokens ------------------------------------------------------------
    def issue_learner_token(self, learner_id: str) -> dict:
        now = int(time.time())
        expires = now + self.token_ttl
        claims = {
            "iss": LEARNER_TOKEN_ISSUER,
            "sub": learner_id,
            "aud": "authenticated",
            "role": "authenticated",
            "is_anonymous": True,
            "iat": now,
            "exp": expires,
        }
        return {
            "token": jwt.encode(claims, self.secret, algorithm="HS256"),
            "tokenType": "Bearer",
            "expiresAt": datetime.fromtimestamp(expires, UTC).isoformat().replace("+00:00", "Z"),
        }


def init_app(app) -> None:
    app.extensions["token_verifier"] = TokenVerifier(app.config)


def token_verifier() -> TokenVerifier:
    return current_app.extensions["token_verifier"]


def check_learner(learner: Learner) -> None:
    """Before a request acts for its learner: make sure the database refuses one who may no
    longer act. Where PostgREST checks every call, the check rides in this request's own calls
    (services.supabase.rpc names the learner); elsewhere it is a call of its own."""
    verifier = token_verifier()
    if verifier.database_checks_calls():
        g.learner_check = learner
    else:
        verifier.confirm(learner)


def finish_learner_check() -> None:
    """After a view that acted for its learner without calling the database: check now."""
    learner = g.get("learner_check")
    if learner is not None and g.get("checked_learner") != learner:
        check_identity(learner)


def check_identity(learner: Learner) -> None:
    """One call of its own: 401 unless the learner may still act (not erased, account not
    deleted)."""
    rpc("check_identity", learner_id=learner.id, learner_kind=learner.kind)


def check_browser_learner(learner_id: str) -> None:
    """Open mode: refuse a `userId` that names an account (403) or a claimed learner (409)."""
    rpc("check_browser_learner", learner_id=learner_id)


def register_browser_learner(learner_id: str) -> None:
    """Record an anonymous browser learner once; a second registration raises Conflict."""
    rpc("register_browser_learner", learner_id=learner_id)
