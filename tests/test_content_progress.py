"""Seed 004: generic content progress with server-side roll-ups, and one truth with seed 003."""

from __future__ import annotations

import uuid

import pytest

from tests.catalogs import course_tree, import_course, new_id


@pytest.fixture
def course(app):
    course = course_tree((2, 2))
    course.modules[0]["lessons"][0]["exercises"] = [
        {"id": new_id(), "slug": "quiz", "title": "Quiz", "kind": "quiz", "maxScore": 10}
    ]
    import_course(app, course)
    return course


def update(client, learner, **body):
    return client.post("/api/progress/update", json=body, headers=learner["headers"])


def content(client, learner, content_id):
    return client.get(f"/api/progress/content?contentId={content_id}", headers=learner["headers"])


def test_lesson_update_upserts_and_touches(client, browser_learner, course):
    lesson = course.lessons(0)[0]
    first = update(client, browser_learner, contentId=lesson, contentType="lesson", status="in-progress",
                   progressPercentage=40, data={"scroll": 0.4})
    assert first.status_code == 200
    assert first.json["status"] == "in-progress" and first.json["progressPercentage"] == 40
    assert first.json["data"] == {"scroll": 0.4} and first.json["lastAccessedAt"].endswith("Z")
    done = update(client, browser_learner, contentId=lesson, contentType="lesson", status="completed", score=9)
    assert done.json["status"] == "completed" and done.json["progressPercentage"] == 100
    assert done.json["score"] == 9 and done.json["data"] == {"scroll": 0.4}
    revisit = update(client, browser_learner, contentId=lesson, contentType="lesson", status="in-progress")
    assert revisit.json["status"] == "completed", "a revisit does not undo a completion"
    assert revisit.json["lastAccessedAt"] >= done.json["lastAccessedAt"]
    reset = update(client, browser_learner, contentId=lesson, contentType="lesson", status="not-started")
    assert reset.json["status"] == "not-started" and reset.json["completedAt"] is None


def test_one_truth_between_seed_003_and_seed_004(client, browser_learner, course):
    headers = browser_learner["headers"]
    marked = course.lessons(0)[0]
    client.post(f"/api/progress/lessons/{marked}", headers=headers)
    assert content(client, browser_learner, marked).json["status"] == "completed"

    updated = course.lessons(0)[1]
    update(client, browser_learner, contentId=updated, contentType="lesson", status="completed")
    listed = {row["lessonId"] for row in client.get("/api/progress/lessons", headers=headers).json["lessons"]}
    assert listed == {marked, updated}
    module = client.get(f"/api/progress/modules/{course.module_id(0)}", headers=headers).json
    assert module["status"] == "completed" and module["percent"] == 100


def test_roll_ups_module_course_theme(client, browser_learner, course):
    for lesson in course.lessons(0):
        update(client, browser_learner, contentId=lesson, contentType="lesson", status="completed")
    module = content(client, browser_learner, course.module_id(0)).json
    assert (module["contentType"], module["status"], module["progressPercentage"]) == ("module", "completed", 100)
    assert module["completedAt"] is not None
    course_item = content(client, browser_learner, course.course_id).json
    assert (course_item["status"], course_item["progressPercentage"]) == ("in-progress", 50)
    theme = content(client, browser_learner, course.theme_id).json
    assert (theme["status"], theme["progressPercentage"]) == ("in-progress", 50)
    for lesson in course.lessons(1):
        update(client, browser_learner, contentId=lesson, contentType="lesson", status="completed")
    assert content(client, browser_learner, course.course_id).json["status"] == "completed"
    assert content(client, browser_learner, course.theme_id).json["status"] == "completed"


@pytest.mark.parametrize("level", ["module", "course", "theme"])
def test_a_client_cannot_declare_a_container_complete(client, browser_learner, course, level):
    target = {"module": course.module_id(0), "course": course.course_id, "theme": course.theme_id}[level]
    response = update(client, browser_learner, contentId=target, contentType=level, status="completed")
    assert response.status_code == 409 and response.json["code"] == "rollup_incomplete"
    visit = update(client, browser_learner, contentId=target, contentType=level, status="in-progress", data={"tab": 2})
    assert visit.status_code == 200 and visit.json["status"] == "in-progress"
    assert visit.json["data"] == {"tab": 2}


def test_exercise_progress(client, browser_learner, course):
    quiz = course.lesson(0, 0)["exercises"][0]["id"]
    response = update(client, browser_learner, contentId=quiz, contentType="exercise", status="completed", score=8,
                      data={"answers": [1, 2]})
    assert response.status_code == 200
    assert (response.json["status"], response.json["score"], response.json["progressPercentage"]) == ("completed", 8, 100)
    items = client.get("/api/progress", headers=browser_learner["headers"]).json["items"]
    assert any(item["contentId"] == quiz and item["contentType"] == "exercise" for item in items)


def test_list_contains_lessons_and_rolled_up_containers(client, browser_learner, course):
    update(client, browser_learner, contentId=course.lessons(1)[0], contentType="lesson", status="completed")
    items = client.get(f"/api/progress?userId={browser_learner['id']}", headers=browser_learner["headers"]).json["items"]
    by_id = {item["contentId"]: item for item in items}
    assert by_id[course.lessons(1)[0]]["status"] == "completed"
    assert by_id[course.module_id(1)]["progressPercentage"] == 50
    assert by_id[course.course_id]["contentType"] == "course"
    assert by_id[course.theme_id]["contentType"] == "theme"


def test_course_summary_and_next_lesson(client, browser_learner, course):
    headers = browser_learner["headers"]
    first, second = course.lessons(0)
    update(client, browser_learner, contentId=second, contentType="lesson", status="in-progress")
    update(client, browser_learner, contentId=first, contentType="lesson", status="completed")
    summary = client.get(f"/api/progress/course_summary?courseId={course.course_id}&userId={browser_learner['id']}",
                         headers=headers).json
    assert (summary["percent"], summary["completedCount"], summary["totalCount"]) == (25, 1, 4)
    assert [m["percent"] for m in summary["modules"]] == [50, 0]
    assert summary["next"]["lessonId"] == second and summary["resume"]["lessonId"] == second
    nav = client.get(f"/api/progress/next?courseId={course.course_id}", headers=headers).json
    assert nav["next"]["lessonId"] == second


def test_next_skips_locked_lessons(client, browser_learner, app):
    course = course_tree((3,))
    a, b, c = course.lessons(0)
    course.modules[0]["lessons"][1]["prerequisites"] = [c]
    import_course(app, course)
    nav = client.get(f"/api/progress/next?courseId={course.course_id}", headers=browser_learner["headers"]).json
    assert nav["next"]["lessonId"] == a
    client.post(f"/api/progress/lessons/{a}", headers=browser_learner["headers"])
    nav = client.get(f"/api/progress/next?courseId={course.course_id}", headers=browser_learner["headers"]).json
    assert nav["next"]["lessonId"] == c, "b waits for c"


def test_next_passes_a_locked_module_and_resume_stays_in_its_course(client, browser_learner, app):
    course, other = course_tree((1, 2)), course_tree((1,))
    (locked,), (needed, _) = course.lessons(0), course.lessons(1)
    course.modules[0]["lessons"][0]["prerequisites"] = [needed]
    import_course(app, course)
    import_course(app, other)
    update(client, browser_learner, contentId=needed, contentType="lesson", status="in-progress")
    update(client, browser_learner, contentId=other.lessons(0)[0], contentType="lesson", status="in-progress")
    summary = client.get(f"/api/progress/course_summary?courseId={course.course_id}&userId={browser_learner['id']}",
                         headers=browser_learner["headers"]).json
    assert summary["next"]["lessonId"] == needed, "the first module's only lesson waits for the second's"
    assert summary["resume"]["lessonId"] == needed, "the lesson opened last elsewhere is another course's"


def test_an_unpublished_course_has_no_summary_and_no_next_lesson(client, browser_learner, course, db):
    """The summary checks its course only when it finds no counting modules; an unpublished course
    with lessons has none, and is not found."""
    update(client, browser_learner, contentId=course.lessons(0)[0], contentType="lesson", status="in-progress")
    db.execute("update courses set published = false where id = %s", (course.course_id,))
    for path in (f"/api/progress/course_summary?courseId={course.course_id}",
                 f"/api/progress/next?courseId={course.course_id}"):
        answer = client.get(path, headers=browser_learner["headers"])
        assert (answer.status_code, answer.json["code"]) == (404, "course_not_found"), path


def test_content_defaults_to_not_started(client, browser_learner, course):
    item = content(client, browser_learner, course.lessons(1)[1]).json
    assert item["status"] == "not-started" and item["progressPercentage"] == 0 and item["completedAt"] is None


BAD_UPDATES = {
    "missing contentId": ({"contentType": "lesson", "status": "completed"}, 400, "contentId"),
    "bad contentType": ({"contentId": "X", "contentType": "video", "status": "completed"}, 400, "contentType"),
    "bad status": ({"contentType": "lesson", "status": "done"}, 400, "status"),
    "percentage over 100": ({"contentType": "lesson", "status": "in-progress", "progressPercentage": 101}, 400, "progressPercentage"),
    "negative score": ({"contentType": "lesson", "status": "in-progress", "score": -1}, 400, "score"),
    "unknown field": ({"contentType": "lesson", "status": "in-progress", "colour": "red"}, 400, "colour"),
    "type mismatch": ({"contentType": "module", "status": "in-progress"}, 400, "contentType"),
}


@pytest.mark.parametrize("case", BAD_UPDATES)
def test_bad_updates_name_the_field_and_write_nothing(client, browser_learner, course, case):
    body, status, field = BAD_UPDATES[case]
    if field != "contentId":
        body = {"contentId": course.lessons(0)[0], **body}
    response = update(client, browser_learner, **body)
    assert response.status_code == status, response.json
    assert field in response.json["details"]["fields"]
    assert content(client, browser_learner, course.lessons(0)[0]).json["status"] == "not-started"


def test_unknown_content_is_404_and_foreign_user_id_is_403(client, browser_learner, course):
    assert content(client, browser_learner, str(uuid.uuid4())).status_code == 404
    unknown = update(client, browser_learner, contentId=str(uuid.uuid4()), contentType="lesson", status="completed")
    assert unknown.status_code == 404
    other = str(uuid.uuid4())
    assert client.get(f"/api/progress?userId={other}", headers=browser_learner["headers"]).status_code == 403
    spoof = update(client, browser_learner, userId=other, contentId=course.lessons(0)[0], contentType="lesson",
                   status="completed")
    assert spoof.status_code == 403
    assert client.get(f"/api/progress/course_summary?courseId={uuid.uuid4()}", headers=browser_learner["headers"]).status_code == 404
    assert client.get("/api/progress/course_summary?courseId=nope", headers=browser_learner["headers"]).status_code == 400
