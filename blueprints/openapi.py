"""The OpenAPI 3 document, generated from each view's declaration (`blueprints.endpoints`), its
docstring and the marshmallow schemas, served at /openapi.json with a browsable page at /docs.

A committed copy (openapi.json) is checked against the generated one by the tests; regenerate it
with `make openapi` (`flask --app app openapi write`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, render_template
from marshmallow import Schema, fields

from blueprints.endpoints import Endpoint

COMMITTED = Path(__file__).resolve().parent.parent / "openapi.json"

bp = Blueprint("openapi", __name__, cli_group="openapi")


class ErrorSchema(Schema):
    """Every error, whatever its status."""

    error = fields.String(required=True, metadata={"description": "What went wrong, for people."})
    code = fields.String(required=True, metadata={"description": "What went wrong, for programs."})
    status = fields.Integer(required=True)
    details = fields.Dict(required=True, metadata={"description": "Bad fields, missing prerequisites, ..."})
    requestId = fields.String(required=True, allow_none=True)


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
        view = app.view_functions[rule.endpoint]
        declaration = getattr(view, "declaration", None)
        if declaration is None:
            raise KeyError(f"{rule.endpoint} ({rule.rule}) has no @endpoint declaration")
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = operation(view, rule, declaration)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def operation(view, rule, declared: Endpoint) -> dict:
    doc = (view.__doc__ or rule.endpoint).strip().splitlines()
    if declared.html:
        success = {"text/html": {"schema": {"type": "string"}}}
    elif declared.csv:
        success = {"text/csv": {"schema": {"type": "string"}}}
    else:
        success = {"application/json": {"schema": declared.response or {"type": "object"}}}
    responses = {str(declared.status): {"description": "Success", "content": success}}
    statuses = PUBLIC_ERRORS if declared.public else set(ERROR_STATUSES)
    for status in sorted(statuses):
        schema = {"$ref": "#/components/schemas/Error"}
        if status == 414:
            responses["414"] = {"description": ERROR_STATUSES[414], "content": {"text/html": {"schema": {"type": "string"}}}}
            continue
        if status == 404 and declared.plain_404:
            schema = {"oneOf": [schema, {"type": "object", "properties": {"progress": {"nullable": True}}}]}
        responses[str(status)] = {"description": ERROR_STATUSES[status], "content": {"application/json": {"schema": schema}}}
    parameters = [
        {"in": "path", "name": name, "required": True, "schema": declared.path[name].schema}
        for name in rule.arguments
    ]
    if declared.query is not None:
        parameters.append({"in": "query", "schema": declared.query})
    if declared.conditional:
        responses["304"] = {"description": "Not modified since the ETag sent as If-None-Match",
                            "headers": {"ETag": {"schema": {"type": "string"}}}}
        parameters.append({"in": "header", "name": "If-None-Match", "required": False,
                           "description": "The ETag of the copy the caller has.", "schema": {"type": "string"}})
    if declared.idempotent:
        parameters.append({"in": "header", "name": "Idempotency-Key", "required": False,
                           "description": "Retries with the same key replay the first answer (24 h).",
                           "schema": {"type": "string", "minLength": 1, "maxLength": 255}})
    result = {
        "summary": doc[0].rstrip("."),
        "tags": [rule.endpoint.split(".")[0]],
        "parameters": parameters,
        "responses": responses,
    }
    if declared.note:
        result["description"] = declared.note
    if declared.body is not None:
        result["requestBody"] = {
            "required": not declared.body_optional,
            "content": {"application/json": {"schema": declared.body}},
        }
    if not declared.public:
        result["security"] = [{"bearerAuth": []}]
    return result


@bp.get("/openapi.json")
def document():
    """The OpenAPI 3 document of this service."""
    return served_spec()


@bp.get("/docs")
def docs():
    """A browsable page of the OpenAPI document."""
    return render_template("docs.html", spec=served_spec())


def served_spec() -> dict:
    """Built once per app, on first request."""
    if "openapi" not in current_app.extensions:
        current_app.extensions["openapi"] = build_spec(current_app)
    return current_app.extensions["openapi"]


def render(app: Flask) -> str:
    return json.dumps(build_spec(app), indent=2, sort_keys=True) + "\n"


@bp.cli.command("write")
def write_command() -> None:
    """Write the committed openapi.json from the running code."""
    COMMITTED.write_text(render(current_app))
    click.echo(f"wrote {COMMITTED}")
