"""The demo: the demo catalog with checkmarks, progress bars and a resume link, whose progress
comes only from the browser client (/static/progress-client.js)."""

from __future__ import annotations

from flask import Blueprint, render_template

from schemas.progress import path_uuid
from services.catalog import published_tree
from services.errors import NotFound

bp = Blueprint("demo", __name__)


@bp.get("/demo")
def catalog():
    """Every published course."""
    return render_template("demo.html", catalog=published_tree(), course=None)


@bp.get("/demo/<course_id>")
def course(course_id: str):
    """One course's modules and lessons, tracked by the browser client."""
    wanted = path_uuid(course_id, "courseId")
    for theme in published_tree():
        for found in theme["courses"]:
            if found["id"] == wanted:
                return render_template("demo.html", catalog=None, course=found)
    raise NotFound("Course not found.")
