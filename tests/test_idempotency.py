"""Idempotency-Key on every write: stored with the write, replayed to retries, per caller."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.catalogs import course_tree, import_course


@pytest.fixture
def course(app):
    course = course_tree((3,))
    import_course(app, course)
    return course


def with_key(learner, key):
    return {**learner["headers"], "Idempotency-Key": key}


def history_count(db, learner_id):
    return db.execute("select count(*) from progress_history where learner_id = %s", (learner_id,)).fetchone()[0]


def test_a_retry_replays_the_first_answer_and_writes_once(client, browser_learner, course, db):
    body = {"courseId": course.course_id, "progress": {"version": 1, "completedLessonIds": [course.lessons(0)[0]],
                                                        "lessonTimes": {course.lessons(0)[0]: 30}}}
    first = client.post("/api/progress/save", json=body, headers=with_key(browser_learner, "save-1"))
    second = client.post("/api/progress/save", json=body, headers=with_key(browser_learner, "save-1"))
    assert first.status_code == second.status_code == 200
    assert first.json == second.json
    assert history_count(db, browser_learner["id"]) == 1, "the retry did not save again"
    assert second.headers["Idempotency-Key"] == "save-1"


def test_the_same_key_with_another_request_is_422(client, browser_learner, course):
    a, b = course.lessons(0)[:2]
    assert client.post(f"/api/progress/lessons/{a}", headers=with_key(browser_learner, "k")).status_code == 200
    reused = client.post(f"/api/progress/lessons/{b}", headers=with_key(browser_learner, "k"))
    assert reused.status_code == 422 and reused.json["code"] == "idempotency_key_reused"


def test_keys_are_per_caller(client, browser_learner, account, course):
    lesson = course.lessons(0)[0]
    assert client.post(f"/api/progress/lessons/{lesson}", headers=with_key(browser_learner, "shared")).status_code == 200
    theirs = client.post(f"/api/progress/lessons/{lesson}", headers=with_key(account, "shared"))
    assert theirs.status_code == 200, "not a replay of another caller's answer, nor a 422"
    listed = client.get("/api/progress/lessons", headers=account["headers"]).json["lessons"]
    assert [row["lessonId"] for row in listed] == [lesson], "the other caller's write really happened"


def test_status_is_replayed_too(client, browser_learner, course):
    statuses = [client.post("/api/enrollments", json={"courseId": course.course_id},
                            headers=with_key(browser_learner, "enroll-1")).status_code for _ in range(2)]
    assert statuses == [201, 201]


def test_concurrent_requests_with_one_key_write_once(app, browser_learner, course, db):
    body = {"courseId": course.course_id, "progress": {"version": 1, "completedLessonIds": [course.lessons(0)[1]]}}

    def save(_):
        with app.test_client() as client:
            return client.post("/api/progress/save", json=body, headers=with_key(browser_learner, "race")).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(save, range(8)))
    assert set(statuses) <= {200, 409} and 200 in statuses
    assert history_count(db, browser_learner["id"]) == 1


def test_expired_keys_run_again(client, browser_learner, course, db):
    body = {"courseId": course.course_id, "progress": {"version": 1}}
    client.post("/api/progress/save", json=body, headers=with_key(browser_learner, "old"))
    db.execute("update idempotency_keys set created_at = now() - interval '25 hours' where learner_id = %s",
               (browser_learner["id"],))
    client.post("/api/progress/save", json=body, headers=with_key(browser_learner, "old"))
    assert history_count(db, browser_learner["id"]) == 2


def test_a_failed_request_is_not_stored(client, browser_learner):
    unknown = "00000000-0000-4000-8000-000000000000"
    assert client.post(f"/api/progress/lessons/{unknown}", headers=with_key(browser_learner, "f")).status_code == 404
    assert client.post(f"/api/progress/lessons/{unknown}", headers=with_key(browser_learner, "f")).status_code == 404


def test_a_malformed_key_is_400(client, browser_learner, course):
    response = client.post(f"/api/progress/lessons/{course.lessons(0)[0]}", headers=with_key(browser_learner, "x" * 300))
    assert response.status_code == 400
