"""Enroll and unenroll: free courses by the learner, premium by the platform; progress is kept."""

from __future__ import annotations

import uuid

from tests.catalogs import course_tree, import_course


def test_enroll_then_unenroll_keeps_progress(app, client, browser_learner):
    course = course_tree((2,))
    import_course(app, course)
    headers = browser_learner["headers"]
    created = client.post("/api/enrollments", json={"courseId": course.course_id}, headers=headers)
    assert created.status_code == 201 and created.json["enrolled"] is True
    assert client.post("/api/enrollments", json={"courseId": course.course_id}, headers=headers).status_code == 200
    client.post(f"/api/progress/lessons/{course.lessons(0)[0]}", headers=headers)
    left = client.delete(f"/api/enrollments/{course.course_id}", headers=headers)
    assert left.status_code == 200 and left.json == {"courseId": course.course_id, "enrolled": False, "removed": True}
    lessons = client.get("/api/progress/lessons", headers=headers).json["lessons"]
    assert [row["lessonId"] for row in lessons] == [course.lessons(0)[0]]


def test_first_progress_in_a_free_course_enrolls(app, client, browser_learner):
    course = course_tree((1,))
    import_course(app, course)
    client.post(f"/api/progress/lessons/{course.lessons(0)[0]}", headers=browser_learner["headers"])
    summary = client.get(f"/api/progress/course_summary?courseId={course.course_id}", headers=browser_learner["headers"])
    assert summary.json["enrolled"] is True


def test_enrollment_errors(client, browser_learner):
    headers = browser_learner["headers"]
    assert client.post("/api/enrollments", json={"courseId": str(uuid.uuid4())}, headers=headers).status_code == 404
    assert client.post("/api/enrollments", json={}, headers=headers).status_code == 400
    assert client.delete("/api/enrollments/xyz", headers=headers).status_code == 400
    assert client.post("/api/enrollments", json={"courseId": str(uuid.uuid4())}).status_code == 401
