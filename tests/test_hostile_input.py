"""Bad input: a 4xx in the common error shape, and nothing written."""

from __future__ import annotations

import json

import pytest

from tests.catalogs import course_tree, import_course


@pytest.fixture(scope="module")
def course(app):
    course = course_tree((2,))
    import_course(app, course)
    return course


def writes(db, learner_id):
    return db.execute(
        "select (select count(*) from lesson_progress where learner_id = %(id)s)"
        " + (select count(*) from progress_history where learner_id = %(id)s)"
        " + (select count(*) from quiz_attempts where learner_id = %(id)s)"
        " + (select count(*) from content_visits where learner_id = %(id)s)", {"id": learner_id}).fetchone()[0]


def bodies(course):
    lesson = course.lessons(0)[0]
    deep = "[" * 5000 + "]" * 5000
    return {
        "not json": ("text", "{definitely not json"),
        "wrong content type": ("form", "contentId=1"),
        "too deep": ("text", json.dumps({"contentId": lesson, "contentType": "lesson", "status": "in-progress",
                                          "data": json.loads("[" * 40 + "]" * 40)})),
        "recursion bomb": ("text", deep),
        "unknown field": ("json", {"contentId": lesson, "contentType": "lesson", "status": "in-progress", "x": 1}),
        "wrong type": ("json", {"contentId": lesson, "contentType": "lesson", "status": "in-progress", "progressPercentage": "ten"}),
        "string for uuid": ("json", {"contentId": "lesson-1", "contentType": "lesson", "status": "in-progress"}),
        "array body": ("json", [1, 2, 3]),
        "nul byte": ("json", {"contentId": lesson, "contentType": "lesson", "status": "in-progress", "data": {"n": "a\u0000b"}}),
        "lone surrogate": ("text", '{"contentId": "%s", "contentType": "lesson", "status": "in-progress", "data": {"s": "\\ud800"}}' % lesson),
        "huge": ("text", json.dumps({"contentId": lesson, "data": {"x": "y" * 400_000}})),
    }


@pytest.mark.parametrize("case", ["not json", "wrong content type", "too deep", "recursion bomb", "unknown field",
                                  "wrong type", "string for uuid", "array body", "nul byte", "lone surrogate", "huge"])
def test_bad_bodies_are_4xx_in_the_common_shape_and_write_nothing(client, db, browser_learner, course, case):
    kind, body = bodies(course)[case]
    headers = browser_learner["headers"]
    if kind == "json":
        response = client.post("/api/progress/update", json=body, headers=headers)
    elif kind == "form":
        response = client.post("/api/progress/update", data=body, headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})
    else:
        response = client.post("/api/progress/update", data=body, headers={**headers, "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, (case, response.status_code, response.get_data(as_text=True)[:200])
    assert set(response.json) == {"error", "code", "status", "details", "requestId"}
    assert writes(db, browser_learner["id"]) == 0


@pytest.mark.parametrize("path", ["/api/progress/save", "/v1/tutorials/progress/x/quiz", "/api/progress", "/api/learners"])
def test_unicode_edge_cases_in_ids_are_rejected_cleanly(client, browser_learner, path):
    for odd in ["\u202e", "\U0001F600", "é" * 300, "../../etc/passwd"]:
        response = client.post(path, json={"courseId": odd, "quizId": odd, "lessonId": odd, "userId": odd}, headers=browser_learner["headers"])
        assert 400 <= response.status_code < 500, (path, odd, response.status_code)


@pytest.mark.parametrize("odd", ["%C2%B9", "%D9%A3", "%EF%BC%91", "99999999999999999999999", "-1", "1.5"])
def test_a_notification_id_that_is_not_ascii_digits_of_a_bigint_is_a_400(client, browser_learner, odd):
    """Schemathesis once sent `¹` (superscript one): str.isdigit() took it for a digit and int()
    did not, a 500. `٣` (Arabic-Indic three) and `１` (fullwidth one) were numbers to int() but
    not to the documented pattern ^[0-9]+$."""
    response = client.post(f"/api/notifications/{odd}/read", headers=browser_learner["headers"])
    assert response.status_code == 400, (odd, response.status_code, response.get_data(as_text=True)[:200])
    assert response.json["code"] == "validation_failed"
