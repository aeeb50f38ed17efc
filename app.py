"""The application factory: `flask --app app run`, or `granian --interface wsgi --factory app:create_app`."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from config import Config
from json_responses import OrjsonProvider


class LearnerProgressApp(Flask):
    """Flask, with what it asks of each hook and view on every request asked once. Flask checks
    with `inspect.iscoroutinefunction` that each of them (about ten a request) is a plain function
    before calling it, and a function's answer never changes. The answers kept are bounded: a
    function made for one request (`after_this_request`) is asked afresh once the table is full."""

    KEPT_ANSWERS = 512

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.synced: dict[Callable, Callable] = {}

    def ensure_sync(self, func: Callable) -> Callable:
        synced = self.synced.get(func)
        if synced is None:
            synced = super().ensure_sync(func)
            if len(self.synced) < self.KEPT_ANSWERS:
                self.synced[func] = synced
        return synced


def create_app(test_config: dict | None = None) -> Flask:
    app = LearnerProgressApp(__name__)
    app.config.from_object(Config)
    app.json = OrjsonProvider(app)
    if test_config:
        app.config.update(test_config)

    import observability
    from blueprints import (
        catalog,
        certificates,
        content_progress,
        data_rights,
        demo,
        endpoints,
        enrollments,
        errors,
        health,
        identity,
        insights,
        lesson_completion,
        offline_sync,
        openapi,
        platform,
        tutorials,
    )
    from extensions import init_rate_limits
    from services import identity as identity_service
    from services import supabase

    # Request ids and timing first; identity before the limiter, so that limits are keyed by learner.
    observability.init_app(app)
    app.before_request(identity.resolve_bearer_token)
    endpoints.init_app(app)

    supabase.init_app(app)
    identity_service.init_app(app)

    for blueprint in (errors, health, identity, catalog, enrollments, lesson_completion, content_progress,
                      offline_sync, tutorials, platform, certificates, data_rights, insights, demo, openapi):
        app.register_blueprint(blueprint.bp)
    init_rate_limits(app)
    return app
