"""Roll-ups read counters that every write keeps up to date and every change of the catalog
recounts: after any mix of writes (on every contract) and catalog edits, alone or at the same
time, the counters, the totals and the roll-ups built on them equal a recount from the rows (and
each lesson's time the sum of its device counters)."""

from __future__ import annotations

import threading
import uuid

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings

from tests.catalogs import course_tree, import_course
from tests.recounts import assert_counts_match_a_recount
from tests.test_row_writes import assert_times_are_device_sums
from tests.writes import STEPS, new_learner, take_step


@pytest.fixture
def new_course(app):
    def make():
        course = course_tree((2, 1))
        import_course(app, course)
        return course
    return make


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_counters_equal_a_recount_after_any_writes_and_catalog_edits(app, db, new_course, steps):
    course = new_course()
    with app.test_client() as client:
        learner_id, headers = new_learner(client, db)
        for step in steps:
            answer = take_step(client, db, headers, course, step)
            if answer is not None:
                # Edits make some writes refused (unpublished, premium, unknown): never a 5xx.
                assert answer.status_code < (300 if step[0].startswith("reset") else 500), (step, steps)
            assert_counts_match_a_recount(db, learner_id, course)
            assert_times_are_device_sums(db, learner_id)


def test_counters_stay_exact_while_the_catalog_changes_under_concurrent_writes(app, db, stack, new_course):
    """Writers adjust counters while an editor publishes and unpublishes lessons of the same
    course: the recount and the writes are ordered, so no change is lost or counted twice."""
    course = new_course()
    lessons = course.lessons(0) + course.lessons(1)
    with app.test_client() as client:
        learners = [new_learner(client, db) for _ in range(4)]
    stop = threading.Event()
    failures: list[str] = []

    def learner_writes(headers):
        with app.test_client() as client:
            for n in range(40):
                lesson = lessons[n % len(lessons)]
                answer = (client.delete if n % 3 == 2 else client.post)(f"/api/progress/lessons/{lesson}", headers=headers)
                if answer.status_code >= 500:
                    failures.append(f"{answer.status_code} {answer.get_data(as_text=True)}")

    def editor():
        with psycopg.connect(stack.superuser_url, autocommit=True) as conn:
            n = 0
            while not stop.is_set():
                conn.execute("update lessons set published = not published where id = %s", (lessons[n % len(lessons)],))
                n += 1

    editing = threading.Thread(target=editor)
    editing.start()
    writers = [threading.Thread(target=learner_writes, args=(headers,)) for _, headers in learners]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    editing.join()
    assert failures == []
    for learner_id, _ in learners:
        assert_counts_match_a_recount(db, learner_id, course)


def test_racing_first_writes_of_one_lesson_row_lose_nothing(db, stack, new_course):
    """The first write of a lesson row inserts it already merged; writers racing to be first
    find it inserted and merge into it instead: one row, every write in it, counters exact."""
    course = new_course()
    calls = [
        "select public.mark_lesson_complete(%s, 'browser', %s)",
        "select public.record_lesson_progress(%s, 'browser', %s, null, 40, 30)",
        "select public.record_lesson_progress(%s, 'browser', %s, null, 60, 50)",
        "select public.update_content_progress(%s, 'browser', %s, 'lesson', 'in-progress', 20)",
    ]
    for lesson in course.lessons(0) + course.lessons(1):
        learner_id = str(uuid.uuid4())
        start = threading.Barrier(len(calls))
        failures: list[str] = []

        def call(statement):
            with psycopg.connect(stack.database_url, autocommit=True) as conn:
                start.wait()
                try:
                    conn.execute(statement, (learner_id, lesson))
                except psycopg.Error as error:
                    failures.append(f"{statement}: {error}")

        threads = [threading.Thread(target=call, args=(statement,)) for statement in calls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        rows = db.execute("select status, completed_at is not null, progress_percentage from lesson_progress"
                          " where learner_id = %s and lesson_id = %s", (learner_id, lesson)).fetchall()
        assert rows == [("completed", True, 100)], "the mark is in the one row, whoever inserted it"
        assert_counts_match_a_recount(db, learner_id, course)
