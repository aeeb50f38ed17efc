"""The demo: the demo catalog with checkmarks, progress bars and a resume link, whose progress
comes only from the browser client (/static/progress-client.js)."""

from __future__ import annotations

from flask import Blueprint, render_template

from blueprints.endpoints import endpoint
from schemas.params import uuid_param
from services.catalog import published_tree
from services.errors import NotFound

bp = Blueprint("demo", __name__)


@bp.get("/demo")
@endpoint(public=True, html=True)
def catalog():
    """Every published course."""
    return render_template("demo.html", catalog=published_tree(), course=None)


@bp.get("/demo/<course_id>")
@endpoint(path={"course_id": uuid_param("courseId")}, public=True, html=True)
def course(course_id: str):
    """One course's modules and lessons, tracked by the browser client."""
    for theme in published_tree():
        for found in theme["courses"]:
            if found["id"] == course_id:
                return render_template("demo.html", catalog=None, course=found)
    raise NotFound("Course not found.")
