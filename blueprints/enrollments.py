"""Enrollment: learners enroll in free courses; the platform grants premium ones."""

from __future__ import annotations

import click
from flask import Blueprint

from blueprints.identity import current_learner
from extensions import rate_limit
from schemas import json_body, load
from schemas.progress import enrollment_schema, path_uuid
from services import progress
from services.identity import Learner

bp = Blueprint("enrollments", __name__, url_prefix="/api/enrollments", cli_group="enrollments")


@bp.post("")
@rate_limit("RATELIMIT_WRITE")
def enroll():
    """Enroll the caller in a free course (201 when new, 200 when already enrolled)."""
    course_id = str(load(enrollment_schema, json_body())["courseId"])
    result = progress.enroll(current_learner(), course_id)
    return result, 201 if result.pop("created") else 200


@bp.delete("/<course_id>")
@rate_limit("RATELIMIT_WRITE")
def unenroll(course_id: str):
    """Leave a course; progress is kept."""
    return progress.unenroll(current_learner(), path_uuid(course_id, "courseId"))


@bp.cli.command("grant")
@click.argument("learner_id", type=click.UUID)
@click.argument("course_id", type=click.UUID)
@click.option("--kind", type=click.Choice(["account", "browser"]), default="account")
def grant(learner_id, course_id, kind) -> None:
    """Enroll a learner in a course, premium included (after a purchase)."""
    result = progress.enroll(Learner(str(learner_id), kind, kind == "browser"), str(course_id), by_platform=True)
    click.echo(f"enrolled {learner_id} in {course_id} at {result['enrolledAt']}")
