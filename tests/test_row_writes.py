"""Every write that reports time writes each lesson row it names once: the lesson's new time
(the sum of its device counters) goes in with the rest of the row, and still equals that sum."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.catalogs import course_tree, import_course
from tests.test_offline_sync import register, save, v1


@pytest.fixture(scope="module")
def course(app):
    course = course_tree((6,))
    import_course(app, course)
    return course


@pytest.fixture
def row_writes(db):
    """Counts the versions of lesson rows the database writes, per learner, while the test runs
    (a trigger of the test's own, in the private schema PostgREST does not expose; the rows and
    the writers are the real ones)."""
    db.execute("create table private.test_row_writes (learner_id uuid, lesson_id uuid)")
    db.execute("""create function private.test_count_row_write() returns trigger language plpgsql
                  security definer set search_path = '' as $$
                  begin insert into private.test_row_writes values (new.learner_id, new.lesson_id); return null; end $$""")
    db.execute("create trigger test_row_writes after insert or update on public.lesson_progress"
               " for each row execute function private.test_count_row_write()")

    def count(learner_id: str) -> dict[str, int]:
        rows = db.execute("select lesson_id::text, count(*) from private.test_row_writes where learner_id = %s"
                          " group by lesson_id", (learner_id,)).fetchall()
        db.execute("delete from private.test_row_writes where learner_id = %s", (learner_id,))
        return dict(rows)

    try:
        yield count
    finally:
        db.execute("drop trigger test_row_writes on public.lesson_progress")
        db.execute("drop function private.test_count_row_write()")
        db.execute("drop table private.test_row_writes")


def assert_times_are_device_sums(db, learner_id: str) -> None:
    assert db.execute(
        "select lp.lesson_id, lp.time_spent_seconds, devices.seconds from lesson_progress lp"
        " cross join lateral (select coalesce(sum(t.seconds), 0) as seconds from lesson_device_time t"
        "   where t.learner_id = lp.learner_id and t.lesson_id = lp.lesson_id) devices"
        " where lp.learner_id = %s and lp.time_spent_seconds <> devices.seconds", (learner_id,)).fetchall() == []


def test_a_save_writes_each_named_lesson_row_once(client, db, course, row_writes):
    learner = register(client)
    a, b, c, d, e, _ = course.lessons(0)
    assert save(client, learner, course.course_id, v1([a], {a: 30, b: 40, c: 50}), deviceId="phone").status_code == 200
    assert row_writes(learner["id"]) == {a: 1, b: 1, c: 1}, "new rows: inserted merged, times included"

    # Three rows the learner has, two new; a second device adds to the first's counters.
    response = save(client, learner, course.course_id, v1([d], {a: 10, b: 45, c: 50, d: 5, e: 6}), deviceId="laptop")
    assert response.status_code == 200
    assert row_writes(learner["id"]) == {a: 1, b: 1, c: 1, d: 1, e: 1}
    assert response.json["progress"]["lessonTimes"] == {a: 40, b: 85, c: 100, d: 5, e: 6}
    assert_times_are_device_sums(db, learner["id"])


def test_seed_001_progress_with_time_writes_its_row_once(client, db, course, row_writes):
    learner = register(client)
    lesson = course.lessons(0)[0]
    for seconds, expected in ((120, 120), (90, 120), (300, 300)):
        response = client.post("/api/progress", headers=learner["headers"],
                               json={"lessonId": lesson, "completionPercentage": 50, "timeSpent": seconds})
        assert response.status_code == 200, response.json
        assert row_writes(learner["id"]) == {lesson: 1}
        assert response.json["progress"]["time_spent_seconds"] == expected, "a device's counter never goes back"
    assert_times_are_device_sums(db, learner["id"])


def test_a_claim_adds_the_browser_devices_to_the_account_times(client, db, course, account):
    anonymous = register(client)
    a, b = course.lessons(0)[:2]
    save(client, anonymous, course.course_id, v1([], {a: 30, b: 5}), deviceId="phone")
    save(client, anonymous, course.course_id, v1([], {a: 7}), deviceId="tablet")
    save(client, account, course.course_id, v1([], {a: 20}), deviceId="laptop")
    claim = {"userId": anonymous["id"], "token": anonymous["token"]}
    assert client.post("/api/progress/claim", json=claim, headers=account["headers"]).status_code == 200
    times = client.get(f"/api/progress?courseId={course.course_id}", headers=account["headers"]).json["progress"]["lessonTimes"]
    assert times == {a: 57, b: 5}, "phone 30 + tablet 7 + laptop 20"
    assert_times_are_device_sums(db, account["id"])


@pytest.mark.parametrize("rows", [1, 2], ids=["one row (by its key)", "a document's rows"])
def test_a_row_another_writer_inserts_first_is_merged_not_lost(client, db, stack, course, row_writes, rows):
    """The merge looks for the rows that exist before it inserts the new ones. A row that another
    transaction inserts after the look makes the insert skip it; the merge must then merge it as
    a row that exists, and count its completion against what that writer left. One row and a
    document's rows take different paths through the merge; both are raced."""
    learner = register(client)
    lesson, other_lesson = course.lessons(0)[5], course.lessons(0)[4]
    merge = "select private.merge_lesson_progress(%s::jsonb)"
    first = json.dumps([{"learner_id": learner["id"], "lesson_id": lesson, "progress_percentage": 40, "watch_seconds": 30}])
    second = json.dumps([{"learner_id": learner["id"], "lesson_id": lesson, "completion_clock": "2026-01-02T03:04:05Z",
                          "first_completed_at": "2026-01-02T03:04:05Z"},
                         {"learner_id": learner["id"], "lesson_id": other_lesson, "watch_seconds": 5}][:rows])
    with psycopg.connect(stack.superuser_url) as other:
        assert other.execute(merge, (first,)).fetchone()[0] == 0  # inserted, not committed yet
        with ThreadPoolExecutor(1) as pool:
            # This merge finds no row, then waits on the other's insert of the same key.
            flips = pool.submit(lambda: db.execute(merge, (second,)).fetchone()[0])
            time.sleep(0.5)
            assert not flips.done(), "the second merge waits for the first insert to commit"
            other.commit()
            assert flips.result(timeout=10) == 1, "the lesson is completed once, by the second merge"
    row = db.execute("select status, progress_percentage, watch_seconds, completed_at from lesson_progress"
                     " where learner_id = %s and lesson_id = %s", (learner["id"], lesson)).fetchone()
    assert row[:3] == ("completed", 100, 30) and row[3] is not None, "both writes are in the row"
    expected = {lesson: 2, other_lesson: 1} if rows == 2 else {lesson: 2}
    assert row_writes(learner["id"]) == expected, "inserted by one, updated by the other"
