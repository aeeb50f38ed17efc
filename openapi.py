"""The OpenAPI 3 document, generated from the app's routes, the views' docstrings and the
marshmallow schemas, served at /openapi.json with a browsable page at /docs.

A committed copy (openapi.json) is checked against the generated one by the tests; regenerate it
with `.venv/bin/python -m openapi`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, render_template
from marshmallow import Schema, fields

from schemas.identity import LearnerRegistrationSchema
from schemas.offline_sync import ClaimSchema, DocumentQuerySchema, SaveSchema
from schemas.platform import (
    CourseQuerySchema,
    CourseSchema,
    LessonProgressSchema,
    QuizAttemptSchema,
    RatingSchema,
    SettingsSchema,
    course_update_schema,
)
from schemas.progress import (
    ContentQuerySchema,
    ContentUpdateSchema,
    CourseQuerySchema as ProgressCourseQuerySchema,
    EnrollmentSchema,
    LearnerQuerySchema,
    MarkLessonSchema,
)
from schemas.tutorials import ChapterSchema, LearnerBodySchema, QuizSchema

COMMITTED = Path(__file__).resolve().parent / "openapi.json"

bp = Blueprint("openapi", __name__)


class ErrorSchema(Schema):
    """Every error, whatever its status."""

    error = fields.String(required=True, metadata={"description": "What went wrong, for people."})
    code = fields.String(required=True, metadata={"description": "What went wrong, for programs."})
    status = fields.Integer(required=True)
    details = fields.Dict(required=True, metadata={"description": "Bad fields, missing prerequisites, ..."})
    requestId = fields.String(required=True, allow_none=True)


# Per endpoint: the request body and query schemas, the success status, whether it needs no
# identity, and any status whose body is not the error shape.
OPERATIONS: dict[str, dict] = {
    "health.health": {"public": True},
    "identity.register_learner": {"body": LearnerRegistrationSchema, "status": 201, "public": True},
    "identity.identity": {"query": LearnerQuerySchema},
    "enrollments.enroll": {"body": EnrollmentSchema, "status": 201},
    "enrollments.unenroll": {},
    "lesson_completion.mark_lesson": {"body": MarkLessonSchema, "body_optional": True},
    "lesson_completion.unmark_lesson": {},
    "lesson_completion.summary": {},
    "lesson_completion.module_detail": {},
    "lesson_completion.completed_lessons": {},
    "content_progress.update": {"body": ContentUpdateSchema},
    "content_progress.all_progress": {"query": DocumentQuerySchema, "plain_404": True,
                                      "note": "Without courseId: seed 004's list; with it, seed 000's document."},
    "content_progress.content": {"query": ContentQuerySchema},
    "content_progress.course_summary": {"query": ProgressCourseQuerySchema},
    "content_progress.next_lesson": {"query": ProgressCourseQuerySchema},
    "offline_sync.save": {"body": SaveSchema},
    "offline_sync.list_documents": {"query": LearnerQuerySchema},
    "offline_sync.delete_document": {"query": DocumentQuerySchema},
    "offline_sync.history": {"query": DocumentQuerySchema},
    "offline_sync.claim": {"body": ClaimSchema},
    "tutorials.get_progress": {"query": LearnerQuerySchema},
    "tutorials.chapter": {"body": ChapterSchema},
    "tutorials.quiz": {"body": QuizSchema},
    "tutorials.complete": {"body": LearnerBodySchema, "body_optional": True},
    "tutorials.reset": {"query": LearnerQuerySchema},
    "certificates.verify": {"public": True},
    "certificates.printable": {"public": True, "html": True},
    "platform.list_courses": {"query": CourseQuerySchema, "public": True},
    "platform.course": {"public": True},
    "platform.create_course": {"body": CourseSchema, "status": 201},
    "platform.update_course": {"body": course_update_schema, "body_optional": True},
    "platform.rate_course": {"body": RatingSchema},
    "platform.lesson_progress": {"body": LessonProgressSchema},
    "platform.quiz_attempt": {"body": QuizAttemptSchema, "status": 201},
    "platform.achievements": {},
    "platform.me": {},
    "platform.update_me": {"body": SettingsSchema, "body_optional": True},
    "platform.leaderboard": {"public": True},
    "platform.notifications": {},
    "platform.read_notification": {},
    "demo.catalog": {"public": True, "html": True},
    "demo.course": {"public": True, "html": True},
}
UNDOCUMENTED = {"static", "metrics"}
ERROR_STATUSES = {
    400: "Malformed or invalid request (details.fields names the fields)",
    401: "No valid identity", 403: "Not allowed for this caller", 404: "Not found",
    409: "Conflict (already registered, prerequisites missing, request in progress, ...)",
    413: "Body too large", 415: "Body is not JSON", 422: "Valid but not acceptable",
    414: "Request line too long (answered by the server before the app)",
    429: "Rate limited (see Retry-After)", 500: "Unexpected error (logged)",
    503: "Database or PostgREST unavailable (see Retry-After)",
}
PUBLIC_ERRORS = {400, 404, 409, 413, 414, 415, 422, 429, 500, 503}
UUID_PARAMS = {"lesson_id", "module_id", "course_id", "certificate_id"}


def schema_name(schema) -> str:
    """Component names: `CourseSchema` is Course, its partial (PATCH) form CourseUpdate."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    return name + "Update" if getattr(schema, "partial", False) else name


def build_spec(app: Flask) -> dict:
    """Walk the app's routes and describe every one, with every error it can answer."""
    spec = APISpec(
        title="Learner progress API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=schema_name)],
        info={"description": "Records what every learner has done and answers how far they are. "
                             "Five front-end contracts (seeds 000 to 004) on one data model."},
    )
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "A Supabase Auth access token, or an anonymous learner token from POST /api/learners.",
    })
    spec.components.schema("Error", schema=ErrorSchema)
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, sorted(r.methods))):
        if rule.endpoint in UNDOCUMENTED or rule.endpoint.startswith("openapi."):
            continue
        if rule.endpoint not in OPERATIONS:
            raise KeyError(f"{rule.endpoint} ({rule.rule}) is not described in openapi.OPERATIONS")
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = operation(app, rule, OPERATIONS[rule.endpoint])
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def operation(app: Flask, rule, described: dict) -> dict:
    view = app.view_functions[rule.endpoint]
    doc = (view.__doc__ or rule.endpoint).strip().splitlines()
    success = described.get("status", 200)
    media = "text/html" if described.get("html") else "application/json"
    responses = {str(success): {"description": "Success", "content": {media: {"schema": {"type": "object"}}}}}
    if media == "text/html":
        responses[str(success)]["content"] = {"text/html": {"schema": {"type": "string"}}}
    statuses = PUBLIC_ERRORS if described.get("public") else set(ERROR_STATUSES)
    for status in sorted(statuses):
        schema = {"$ref": "#/components/schemas/Error"}
        if status == 414:
            responses["414"] = {"description": ERROR_STATUSES[414], "content": {"text/html": {"schema": {"type": "string"}}}}
            continue
        if status == 404 and described.get("plain_404"):
            schema = {"oneOf": [schema, {"type": "object", "properties": {"progress": {"nullable": True}}}]}
        responses[str(status)] = {"description": ERROR_STATUSES[status], "content": {"application/json": {"schema": schema}}}
    parameters = [
        {"in": "path", "name": name, "required": True,
         "schema": {"type": "string", **({"format": "uuid"} if name in UUID_PARAMS else {})}}
        for name in rule.arguments
    ]
    if "query" in described:
        parameters.append({"in": "query", "schema": described["query"]})
    result = {
        "summary": doc[0].rstrip("."),
        "tags": [rule.endpoint.split(".")[0]],
        "parameters": parameters,
        "responses": responses,
    }
    if described.get("note"):
        result["description"] = described["note"]
    if "body" in described:
        result["requestBody"] = {
            "required": not described.get("body_optional", False),
            "content": {"application/json": {"schema": described["body"]}},
        }
    if not described.get("public"):
        result["security"] = [{"bearerAuth": []}]
    return result


@bp.get("/openapi.json")
def document():
    """The OpenAPI 3 document of this service."""
    if "openapi" not in current_app.extensions:
        current_app.extensions["openapi"] = build_spec(current_app)
    return current_app.extensions["openapi"]


@bp.get("/docs")
def docs():
    """A browsable page of the OpenAPI document."""
    if "openapi" not in current_app.extensions:
        current_app.extensions["openapi"] = build_spec(current_app)
    return render_template("docs.html", spec=current_app.extensions["openapi"])


def render(app: Flask) -> str:
    return json.dumps(build_spec(app), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    from app import create_app

    COMMITTED.write_text(render(create_app()))
    print(f"wrote {COMMITTED}")
