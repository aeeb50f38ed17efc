"""Instructor insight: one SQL function per section set, checked in SQL for who may read it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from .identity import Learner
from .supabase import rpc

NUDGE_COLUMNS = ["learner", "progress_percentage", "last_lesson", "last_activity", "enrolled_at", "inactive_days"]


def course(viewer: Learner, course_id: str, inactive_days: int) -> dict:
    return rpc("course_insights", viewer_id=viewer.id, course_id=course_id, inactive_days=inactive_days)


def nudges(viewer: Learner, course_id: str, inactive_days: int, sort: str) -> list[dict]:
    return rpc("course_nudges", viewer_id=viewer.id, course_id=course_id, inactive_days=inactive_days, sort=sort)


def nudges_csv(rows: list[dict]) -> Iterator[str]:
    """The header, then a line per learner, as they are written (a response streams them)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=NUDGE_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
    yield buffer.getvalue()
