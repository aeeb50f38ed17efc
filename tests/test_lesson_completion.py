"""Seed 003: mark / unmark with live aggregates, reads, and every status of the contract."""

from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.catalogs import course_tree, import_course


@pytest.fixture
def course(app):
    course = course_tree((3, 2))
    import_course(app, course)
    return course


def mark(client, learner, lesson_id, **body):
    return client.post(f"/api/progress/lessons/{lesson_id}", json=body or None, headers=learner["headers"])


def test_mark_returns_module_and_overall_aggregates(client, browser_learner, course):
    before = client.get("/api/progress/summary", headers=browser_learner["headers"]).json
    response = mark(client, browser_learner, course.lessons(0)[0])
    assert response.status_code == 200
    body = response.json
    assert body["lessonId"] == course.lessons(0)[0] and body["completed"] is True
    assert body["completedAt"].endswith("Z")
    assert body["module"] == {
        "moduleId": course.module_id(0), "percent": 33, "completedCount": 1, "totalCount": 3,
        "status": "in-progress",
    }
    # A free course counts in the overall figures before and after the first mark.
    assert body["overall"]["completedCount"] == before["completedCount"] + 1
    assert body["overall"]["totalCount"] == before["totalCount"]


def test_mark_is_idempotent_and_keeps_the_first_completed_at(client, browser_learner, course):
    lesson = course.lessons(0)[0]
    first = mark(client, browser_learner, lesson).json
    again = mark(client, browser_learner, lesson).json
    assert again["completedAt"] == first["completedAt"]
    assert again["module"]["completedCount"] == 1


def test_client_completed_at_is_kept_but_never_in_the_future(client, browser_learner, course):
    past = "2025-08-12T20:00:00.000Z"
    assert mark(client, browser_learner, course.lessons(0)[0], completedAt=past).json["completedAt"] == past
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    response = mark(client, browser_learner, course.lessons(0)[1], completedAt=future)
    assert response.status_code == 422
    assert "completedAt" in response.json["details"]["fields"]
    assert mark(client, browser_learner, course.lessons(0)[1], completedAt="yesterday").status_code == 400


def test_unmark_recalculates_and_is_idempotent(client, browser_learner, course):
    lesson = course.lessons(1)[0]
    mark(client, browser_learner, lesson)
    response = client.delete(f"/api/progress/lessons/{lesson}", headers=browser_learner["headers"])
    assert response.status_code == 200
    assert response.json["completed"] is False and response.json["completedAt"] is None
    assert response.json["module"]["completedCount"] == 0
    again = client.delete(f"/api/progress/lessons/{lesson}", headers=browser_learner["headers"])
    assert again.status_code == 200 and again.json["completed"] is False


def test_summary_module_detail_and_completed_list(client, browser_learner, course):
    headers = browser_learner["headers"]
    for lesson in course.lessons(0)[:2]:
        mark(client, browser_learner, lesson)
    detail = client.get(f"/api/progress/modules/{course.module_id(0)}", headers=headers).json
    assert (detail["percent"], detail["completedCount"], detail["totalCount"]) == (66, 2, 3)
    assert [lesson["completed"] for lesson in detail["lessons"]] == [True, True, False]
    assert detail["lessons"][2]["completedAt"] is None
    listed = client.get("/api/progress/lessons", headers=headers).json["lessons"]
    assert {row["lessonId"] for row in listed} == set(course.lessons(0)[:2])
    summary = client.get("/api/progress/summary", headers=headers).json
    assert set(summary) == {"percent", "completedCount", "totalCount"}
    assert summary["completedCount"] == 2


def test_overall_counts_every_accessible_course(client, browser_learner, course, app, db):
    expected_total = db.execute(
        "select count(*) from lesson_catalog where counts and not is_premium"
    ).fetchone()[0]
    summary = client.get("/api/progress/summary", headers=browser_learner["headers"]).json
    assert summary["totalCount"] == expected_total


def test_unpublished_lesson_cannot_be_marked_and_leaves_the_denominators(client, browser_learner, course, app):
    mark(client, browser_learner, course.lessons(0)[0])
    course.modules[0]["lessons"][2]["published"] = False
    import_course(app, course)
    response = mark(client, browser_learner, course.lessons(0)[2])
    assert response.status_code == 400 and response.json["code"] == "lesson_unpublished"
    detail = client.get(f"/api/progress/modules/{course.module_id(0)}", headers=browser_learner["headers"]).json
    assert (detail["completedCount"], detail["totalCount"], detail["percent"]) == (1, 2, 50)


def test_a_new_lesson_changes_the_module_denominator(client, browser_learner, course, app):
    for lesson in course.lessons(1):
        mark(client, browser_learner, lesson)
    module = client.get(f"/api/progress/modules/{course.module_id(1)}", headers=browser_learner["headers"]).json
    assert module["percent"] == 100 and module["status"] == "completed"
    course.modules[1]["lessons"].append({"id": str(uuid.uuid4()), "slug": "new", "title": "New lesson"})
    import_course(app, course)
    module = client.get(f"/api/progress/modules/{course.module_id(1)}", headers=browser_learner["headers"]).json
    assert (module["completedCount"], module["totalCount"], module["percent"]) == (2, 3, 66)


def test_prerequisites_lock_a_lesson_and_name_what_is_missing(client, browser_learner, app):
    course = course_tree((2, 2))
    first, second = course.lessons(0)
    course.modules[0]["lessons"][1]["prerequisites"] = [first]
    course.modules[1]["prerequisites"] = [course.module_id(0)]
    import_course(app, course)

    locked = mark(client, browser_learner, second)
    assert locked.status_code == 409 and locked.json["code"] == "prerequisites_missing"
    assert [m["id"] for m in locked.json["details"]["missing"]] == [first]

    module_locked = mark(client, browser_learner, course.lessons(1)[0])
    assert module_locked.status_code == 409
    assert module_locked.json["details"]["missing"] == [
        {"id": course.module_id(0), "type": "module", "title": "Module 0"}
    ]
    detail = client.get(f"/api/progress/modules/{course.module_id(0)}", headers=browser_learner["headers"]).json
    assert [lesson["locked"] for lesson in detail["lessons"]] == [False, True]

    assert mark(client, browser_learner, first).status_code == 200
    assert mark(client, browser_learner, second).status_code == 200
    assert mark(client, browser_learner, course.lessons(1)[0]).status_code == 200


def test_premium_course_needs_an_enrollment(client, browser_learner, app):
    course = course_tree((2,), premium=True)
    import_course(app, course)
    lesson = course.lessons(0)[0]
    denied = mark(client, browser_learner, lesson)
    assert denied.status_code == 403 and denied.json["code"] == "not_enrolled"
    self_enroll = client.post("/api/enrollments", json={"courseId": course.course_id}, headers=browser_learner["headers"])
    assert self_enroll.status_code == 403
    result = app.test_cli_runner().invoke(
        args=["enrollments", "grant", browser_learner["id"], course.course_id, "--kind", "browser"]
    )
    assert result.exit_code == 0, result.output
    assert mark(client, browser_learner, lesson).status_code == 200


@pytest.mark.parametrize("path", ["/api/progress/lessons/not-a-uuid", "/api/progress/modules/123"])
def test_path_ids_that_are_not_uuids_are_400(client, browser_learner, path):
    method = client.post if "lessons" in path else client.get
    response = method(path, headers=browser_learner["headers"])
    assert response.status_code == 400 and response.json["code"] == "validation_failed"


def test_unknown_lesson_and_module_are_404(client, browser_learner):
    unknown = str(uuid.uuid4())
    assert mark(client, browser_learner, unknown).status_code == 404
    assert client.delete(f"/api/progress/lessons/{unknown}", headers=browser_learner["headers"]).status_code == 404
    assert client.get(f"/api/progress/modules/{unknown}", headers=browser_learner["headers"]).status_code == 404


def test_every_endpoint_needs_identity(client, course):
    lesson = course.lessons(0)[0]
    for response in (
        client.post(f"/api/progress/lessons/{lesson}"),
        client.delete(f"/api/progress/lessons/{lesson}"),
        client.get("/api/progress/summary"),
        client.get(f"/api/progress/modules/{course.module_id(0)}"),
        client.get("/api/progress/lessons"),
    ):
        assert response.status_code == 401


def test_idempotency_key_is_echoed(client, browser_learner, course):
    response = client.post(
        f"/api/progress/lessons/{course.lessons(0)[0]}",
        headers={**browser_learner["headers"], "Idempotency-Key": "retry-42"},
    )
    assert response.headers["Idempotency-Key"] == "retry-42"


def test_learners_only_see_their_own_progress(client, browser_learner, account, course):
    mark(client, browser_learner, course.lessons(0)[0])
    other = client.get("/api/progress/lessons", headers=account["headers"]).json
    assert other == {"lessons": []}


def test_concurrent_marks_of_distinct_lessons_all_count(app, browser_learner):
    course = course_tree((50,))
    import_course(app, course)

    def mark_one(lesson_id):
        with app.test_client() as client:
            return client.post(f"/api/progress/lessons/{lesson_id}", headers=browser_learner["headers"]).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(mark_one, course.lessons(0)))
    assert statuses == [200] * 50
    with app.test_client() as client:
        module = client.get(f"/api/progress/modules/{course.module_id(0)}", headers=browser_learner["headers"]).json
    assert (module["completedCount"], module["totalCount"], module["percent"]) == (50, 50, 100)
