"""Instructor insight: JSON for a course's figures and its learners who need a nudge, a CSV of
them, and a dashboard page. The course's instructor and admins only (checked in SQL)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, stream_with_context

from blueprints.endpoints import endpoint
from blueprints.identity import current_learner
from schemas.insights import CourseInsightSchema, InsightQuerySchema, NudgeListSchema, NudgeQuerySchema
from schemas.params import uuid_param
from services import insights

bp = Blueprint("insights", __name__)
COURSE = {"course_id": uuid_param("courseId")}


def inactive_days(query: dict) -> int:
    return query.get("inactiveDays", current_app.config["INSIGHT_INACTIVE_DAYS"])


@bp.get("/api/insights/courses/<course_id>")
@endpoint(path=COURSE, query=InsightQuerySchema, response=CourseInsightSchema)
def course(course_id: str, query: dict):
    """A course's funnel, lessons, quizzes, activity and cohorts (its instructor and admins)."""
    return insights.course(current_learner(), course_id, inactive_days(query))


@bp.get("/api/insights/courses/<course_id>/nudges")
@endpoint(path=COURSE, query=NudgeQuerySchema, response=NudgeListSchema)
def nudges(course_id: str, query: dict):
    """Learners inactive for inactiveDays and not done, with progress, last lesson and activity."""
    rows = insights.nudges(current_learner(), course_id, inactive_days(query), query.get("sort", "inactive"))
    return {"learners": rows}


@bp.get("/api/insights/courses/<course_id>/nudges.csv")
@endpoint(path=COURSE, query=NudgeQuerySchema, csv=True)
def nudges_csv(course_id: str, query: dict):
    """The same learners as CSV, streamed, a row per learner."""
    rows = insights.nudges(current_learner(), course_id, inactive_days(query), query.get("sort", "inactive"))
    return Response(stream_with_context(insights.nudges_csv(rows)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="nudges-{course_id}.csv"'})


@bp.get("/insights/courses/<course_id>")
@endpoint(path=COURSE, public=True, html=True)
def dashboard(course_id: str):
    """The dashboard page: it signs in with the instructor's bearer token and draws the figures."""
    return render_template("insights.html", course_id=course_id)
