"""Writes that change no completion skip the course roll-up and check only the achievements they
can move: after any sequence of writes, on every contract, the stored roll-up equals a recount and
no achievement is left unawarded."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.catalogs import course_tree, import_course, new_id
from tests.conftest import bearer
from tests.writes import write

WRITES = st.lists(st.tuples(
    st.sampled_from(["mark", "unmark", "content", "exercise", "save", "chapter", "progress", "quiz"]),
    st.integers(0, 2), st.integers(1, 900)), min_size=1, max_size=12)


@pytest.fixture(scope="module")
def course(app):
    course = course_tree((2, 1))
    course.modules[0]["lessons"][0]["exercises"] = [{"id": new_id(), "slug": "ex", "title": "Exercise"}]
    import_course(app, course)
    return course


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=WRITES)
def test_the_stored_rollup_and_achievements_match_a_recount_after_any_writes(app, db, course, writes):
    with app.test_client() as client:
        learner_id = str(uuid.uuid4())
        headers = bearer(client.post("/api/learners", json={"userId": learner_id}).json["token"])
        db.execute("update learners set created_at = now() - interval '1 day' where id = %s", (learner_id,))
        for kind, index, amount in writes:
            assert write(client, headers, course, kind, index, amount).status_code < 300
            stored = db.execute("select progress_percentage, completed_at is not null from enrollments"
                                " where learner_id = %s and course_id = %s", (learner_id, course.course_id)).fetchone()
            if stored:
                rollup = db.execute("select private.course_rollup(%s, %s)", (learner_id, course.course_id)).fetchone()[0]
                assert stored == (rollup["percent"], rollup["status"] == "completed"), (kind, writes)
        missed = db.execute("select private.award_achievements(%s)", (learner_id,)).fetchone()[0]
        assert missed == [], f"left unawarded: {missed}"
