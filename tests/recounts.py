"""What the roll-up counters must equal: a recount from a learner's rows. Shared by the tests of
every write that moves lesson rows (the counters' own property tests, claims)."""

from __future__ import annotations

import psycopg
import pytest


def recounted_lessons(db, learner_id: str, course_id: str | None = None):
    """Per counting module of the learner: (completed, started), straight from the rows."""
    rows = db.execute(
        "select lc.module_id::text, count(lp.completed_at), count(*) from lesson_progress lp"
        " join lesson_catalog lc on lc.lesson_id = lp.lesson_id"
        " where lp.learner_id = %s and lc.counts and (%s::uuid is null or lc.course_id = %s::uuid)"
        " group by lc.module_id", (learner_id, course_id, course_id)).fetchall()
    return {module: (completed, started) for module, completed, started in rows}


def assert_counts_match_a_recount(db, learner_id: str, course) -> None:
    counters = {module: (completed, started) for module, completed, started in db.execute(
        "select module_id::text, completed, started from private.learner_module_counts"
        " where learner_id = %s and started > 0", (learner_id,)).fetchall()}
    assert counters == recounted_lessons(db, learner_id)

    module_totals = dict(db.execute(
        "select module_id::text, lessons from private.module_lesson_totals where course_id = %s", (course.course_id,)).fetchall())
    assert module_totals == dict(db.execute(
        "select module_id::text, count(*) from lesson_catalog where course_id = %s and counts group by module_id",
        (course.course_id,)).fetchall())

    total, completed = db.execute(
        "select count(*), count(lp.completed_at) from lesson_catalog lc"
        " left join lesson_progress lp on lp.lesson_id = lc.lesson_id and lp.learner_id = %s"
        " where lc.counts and lc.course_id in (select private.accessible_courses(%s))", (learner_id, learner_id)).fetchone()
    overall = db.execute("select private.overall_rollup(%s)", (learner_id,)).fetchone()[0]
    assert (overall["totalCount"], overall["completedCount"]) == (total, completed)

    course_total, course_completed = db.execute(
        "select count(*), count(lp.completed_at) from lesson_catalog lc"
        " left join lesson_progress lp on lp.lesson_id = lc.lesson_id and lp.learner_id = %s"
        " where lc.counts and lc.course_id = %s", (learner_id, course.course_id)).fetchone()
    rollup = db.execute("select private.course_rollup(%s, %s)", (learner_id, course.course_id)).fetchone()[0]
    assert (rollup["totalCount"], rollup["completedCount"]) == (course_total, course_completed)
    modules_done = db.execute(
        "select count(*) from (select lc.module_id from lesson_catalog lc"
        " left join lesson_progress lp on lp.lesson_id = lc.lesson_id and lp.learner_id = %s"
        " where lc.counts and lc.course_id = %s group by lc.module_id having count(lp.completed_at) = count(*)) done",
        (learner_id, course.course_id)).fetchone()[0]
    assert rollup["modulesCompleted"] == modules_done
    assert_navigation_matches_the_catalog(db, learner_id, course.course_id)
    # What an enrollment keeps (after_progress) says what the course roll-up says.
    completion = db.execute("select percent, completed from private.course_completion(%s, %s)",
                            (learner_id, course.course_id)).fetchone()
    assert completion == (rollup["percent"], rollup["status"] == "completed")


def assert_navigation_matches_the_catalog(db, learner_id: str, course_id: str) -> None:
    """The course summary's next and resume, which read the totals and the lessons, name what the
    catalog view says: the first counting lesson not completed, in course order, and the open one
    opened last (the first in course order of those opened at that moment). An unpublished
    course has no summary: it is not found."""
    if not db.execute("select published from courses where id = %s", (course_id,)).fetchone()[0]:
        with pytest.raises(psycopg.Error) as refused:
            db.execute("select public.course_summary(%s, %s)", (learner_id, course_id))
        assert refused.value.sqlstate == "PT404"
        return
    expected_next = db.execute(
        "select lc.lesson_id::text from lesson_catalog lc"
        " left join lesson_progress lp on lp.lesson_id = lc.lesson_id and lp.learner_id = %s"
        " where lc.course_id = %s and lc.counts and lp.completed_at is null"
        " order by lc.module_position, lc.module_id, lc.position, lc.lesson_id limit 1",
        (learner_id, course_id)).fetchone()
    expected_resume = db.execute(
        "select lc.lesson_id::text from lesson_progress lp join lesson_catalog lc on lc.lesson_id = lp.lesson_id"
        " where lp.learner_id = %s and lp.completed_at is null and lc.course_id = %s and lc.counts"
        " order by lp.last_accessed_at desc, lc.module_position, lc.module_id, lc.position, lc.lesson_id limit 1",
        (learner_id, course_id)).fetchone()
    summary = db.execute("select public.course_summary(%s, %s)", (learner_id, course_id)).fetchone()[0]
    assert (summary["next"] or {}).get("lessonId") == (expected_next[0] if expected_next else None)
    assert (summary["resume"] or {}).get("lessonId") == (expected_resume[0] if expected_resume else None)
