"""Enrollment: learners enroll in free courses; the platform grants premium ones."""

from __future__ import annotations

import click
from flask import Blueprint

from blueprints.endpoints import endpoint
from blueprints.identity import current_learner
from schemas.params import uuid_param
from schemas.progress import EnrollmentResultSchema, EnrollmentSchema
from services import progress
from services.identity import Learner

bp = Blueprint("enrollments", __name__, url_prefix="/api/enrollments", cli_group="enrollments")


@bp.post("")
@endpoint(body=EnrollmentSchema, response=EnrollmentResultSchema, status=201, limit="RATELIMIT_WRITE",
          idempotent=True)
def enroll(body: dict, key):
    """Enroll the caller in a free course (201 when new, 200 when already enrolled)."""
    result = progress.enroll(current_learner(), str(body["courseId"]), key)
    return result, 201 if result.pop("created") else 200


@bp.delete("/<course_id>")
@endpoint(path={"course_id": uuid_param("courseId")}, response=EnrollmentResultSchema, limit="RATELIMIT_WRITE",
          idempotent=True)
def unenroll(course_id: str, key):
    """Leave a course; progress is kept."""
    return progress.unenroll(current_learner(), course_id, key)


@bp.cli.command("grant")
@click.argument("learner_id", type=click.UUID)
@click.argument("course_id", type=click.UUID)
@click.option("--kind", type=click.Choice(["account", "browser"]), default="account")
def grant(learner_id, course_id, kind) -> None:
    """Enroll a learner in a course, premium included (after a purchase)."""
    learner = Learner(str(learner_id), kind, kind == "browser")
    result = progress.enroll(learner, str(course_id), None, by_platform=True)
    click.echo(f"enrolled {learner_id} in {course_id} at {result['enrolledAt']}")
