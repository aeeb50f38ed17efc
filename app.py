"""The application factory: `flask --app app run`, or gunicorn 'app:create_app()'."""

from __future__ import annotations

import hashlib
import re
import uuid

from flask import Flask, g, request

from config import Config
from services.errors import ValidationFailed

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_object(Config)
    app.json.sort_keys = False
    if test_config:
        app.config.update(test_config)

    import observability

    observability.init_app(app)

    from extensions import init_rate_limits
    from services import identity as identity_service
    from services import supabase

    from blueprints import catalog, content_progress, demo, enrollments, errors, health, identity
    from blueprints import certificates, lesson_completion, offline_sync, platform, tutorials

    # Identity is resolved before the limiter runs, so that limits are keyed by learner.
    app.before_request(assign_request_id)
    app.before_request(identity.resolve_bearer_token)
    app.before_request(read_idempotency_key)
    app.after_request(echo_request_id)
    app.after_request(echo_idempotency_key)

    supabase.init_app(app)
    identity_service.init_app(app)

    app.register_blueprint(errors.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(identity.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(enrollments.bp)
    app.register_blueprint(lesson_completion.bp)
    app.register_blueprint(content_progress.bp)
    app.register_blueprint(offline_sync.bp)
    app.register_blueprint(tutorials.bp)
    app.register_blueprint(platform.bp)
    app.register_blueprint(certificates.bp)
    app.register_blueprint(demo.bp)

    import openapi

    app.register_blueprint(openapi.bp)
    init_rate_limits(app)
    return app


def assign_request_id() -> None:
    """Keep a sane incoming X-Request-ID (a proxy's), otherwise make one."""
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex


def echo_request_id(response):
    response.headers["X-Request-ID"] = g.get("request_id") or uuid.uuid4().hex
    return response


def read_idempotency_key() -> None:
    """Writes with an Idempotency-Key carry (key, fingerprint of method, path and body) on `g`."""
    key = request.headers.get("Idempotency-Key")
    g.idempotency = None
    if key is None or request.method not in ("POST", "PATCH", "DELETE"):
        return
    if not (1 <= len(key) <= 255 and key.isprintable()):
        raise ValidationFailed("Idempotency-Key must be 1 to 255 printable characters.",
                               {"fields": {"Idempotency-Key": ["Invalid."]}})
    body = hashlib.sha256(request.get_data(cache=True)).hexdigest()
    g.idempotency = (key, f"{request.method} {request.path}?{request.query_string.decode()} {body}")


def echo_idempotency_key(response):
    """Echo Idempotency-Key so that clients and logs can match retries (seed 003)."""
    key = request.headers.get("Idempotency-Key")
    if key and len(key) <= 255 and key.isprintable():
        response.headers["Idempotency-Key"] = key
    return response
