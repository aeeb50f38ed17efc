"""Each seed's front-end, unchanged: its own examples replayed against the live stack, and every
field name and type its front-end code reads. (Seeds 003 and 004 are also covered in depth by
their own test files; here, the shapes.)"""

from __future__ import annotations

import uuid

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devstack.stack import ANON_KEY
from tests.catalogs import course_tree, import_course
from tests.conftest import bearer
from tests.test_platform import make_account

NUMBER = (int, float)


def register(client) -> dict:
    user_id = str(uuid.uuid4())
    token = client.post("/api/learners", json={"userId": user_id}).json["token"]
    return {"id": user_id, "headers": bearer(token)}


def has_types(value: dict, types: dict) -> bool:
    """Every named field is there with a value of the named type (None allowed where listed)."""
    return all(name in value and isinstance(value[name], kind) for name, kind in types.items())


@pytest.fixture(scope="module")
def course(app):
    course = course_tree((2, 2))
    import_course(app, course)
    return course


# ----- seed 000 ---------------------------------------------------------------------------------
DOCUMENT = {"version": int, "completedLessonIds": list, "lastLessonId": (str, type(None)), "lessonTimes": dict,
            "timeSpentSeconds": NUMBER}


def test_seed_000_save_get_list_as_its_curl_lines(client, course):
    learner = register(client)
    lesson = course.lessons(0)[0]
    saved = client.post("/api/progress/save", headers=learner["headers"], json={
        "userId": learner["id"], "courseId": course.course_id,
        "progress": {"version": 1, "completedLessonIds": [lesson], "lastLessonId": lesson,
                     "lessonTimes": {lesson: 12}, "timeSpentSeconds": 12},
        "clientUpdatedAt": "2025-08-12T20:00:00.000Z"})
    assert saved.status_code == 200 and has_types(saved.json["progress"], DOCUMENT)
    got = client.get(f"/api/progress?userId={learner['id']}&courseId={course.course_id}", headers=learner["headers"])
    assert got.status_code == 200 and has_types(got.json["progress"], DOCUMENT)
    listed = client.get(f"/api/progress/list?userId={learner['id']}", headers=learner["headers"]).json
    assert has_types(listed["items"][0], {"course_id": str, "progress": dict, "updated_at": str})
    other = course.lessons(1)[0]
    missing = client.get(f"/api/progress?userId={learner['id']}&courseId={uuid.uuid4()}", headers=learner["headers"])
    assert missing.status_code == 404 and missing.json == {"progress": None}
    assert other not in got.json["progress"]["completedLessonIds"]


def test_seed_000_times_are_numbers_not_integers(client, course):
    learner = register(client)
    lesson = course.lessons(0)[1]
    saved = client.post("/api/progress/save", headers=learner["headers"], json={
        "courseId": course.course_id, "progress": {"version": 1, "lessonTimes": {lesson: 12.5}}})
    assert saved.status_code == 200, saved.json
    assert saved.json["progress"]["lessonTimes"] == {lesson: 12.5} and saved.json["progress"]["timeSpentSeconds"] == 12.5


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reports=st.lists(st.tuples(st.sampled_from(["phone", "laptop"]),
                                  st.decimals(min_value=0, max_value=500, places=3)), min_size=1, max_size=6),
       retries=st.integers(1, 2))
def test_fractional_times_from_two_devices_and_retries_sum_exactly(app, course, reports, retries):
    """Each device's running total only grows; the sum over devices is exact to the millisecond."""
    lesson = course.lessons(1)[1]
    totals: dict[str, float] = {}
    with app.test_client() as client:
        learner = register(client)
        for device, increment in reports:
            totals[device] = round(totals.get(device, 0) + float(increment), 3)
            for _ in range(retries):
                response = client.post("/api/progress/save", headers=learner["headers"], json={
                    "courseId": course.course_id, "deviceId": device,
                    "progress": {"version": 2, "lessonTimes": {lesson: totals[device]}}})
                assert response.status_code == 200, response.json
        progress = response.json["progress"]
    expected = round(sum(totals.values()), 3)
    assert (progress or {}).get("lessonTimes", {}).get(lesson, 0) == expected
    assert (progress or {}).get("timeSpentSeconds", 0) == expected


# ----- seed 001 ---------------------------------------------------------------------------------
COURSE_ROW = {"id": str, "title": str, "description": (str, type(None)), "category": (str, type(None)),
              "difficulty_level": str, "is_published": bool, "is_premium": bool, "price": NUMBER,
              "thumbnail_url": (str, type(None)), "instructor_id": (str, type(None)), "created_at": str,
              "enrollment_count": int, "average_rating": NUMBER, "tags": list, "instructor": (dict, type(None)),
              "lessons": list}
PROGRESS_ROW = {"user_id": str, "lesson_id": str, "course_id": str, "completion_percentage": int,
                "time_spent_seconds": NUMBER, "section_progress": dict, "completed_at": (str, type(None))}


def rest(stack, path, headers=None, method="get", **kwargs):
    return httpx.request(method, f"{stack.supabase_url}/rest/v1/{path}",
                         headers={"apikey": ANON_KEY, **(headers or {})}, **kwargs)


def test_seed_001_course_routes_answer_its_rows(client, db):
    teacher = make_account(db, role="instructor", name="Ada Teacher")
    created = client.post("/api/courses", headers=teacher["headers"], json={
        "title": f"Seed course {uuid.uuid4().hex[:6]}", "description": "d", "category": "seed",
        "difficulty_level": "intermediate", "is_premium": False, "is_published": True, "price": 0,
        "tags": ["x"], "estimated_duration_hours": 3})
    assert created.status_code == 201, created.json
    row = created.json["course"]
    assert has_types(row, COURSE_ROW) and row["instructor"] == {"id": teacher["id"], "full_name": "Ada Teacher",
                                                                 "avatar_url": None}
    listed = client.get("/api/courses?category=seed").json["courses"]
    assert listed and all(has_types(course, COURSE_ROW) for course in listed)
    assert [c["created_at"] for c in listed] == sorted((c["created_at"] for c in listed), reverse=True), "newest first"


def test_seed_001_progress_route_answers_its_row(client, db, course):
    learner = make_account(db)
    body = client.post("/api/progress", headers=learner["headers"], json={
        "lessonId": course.lessons(0)[0], "courseId": course.course_id, "completionPercentage": 100,
        "timeSpent": 90.5, "sectionProgress": {"intro": True}}).json
    assert has_types(body["progress"], PROGRESS_ROW) and body["progress"]["time_spent_seconds"] == 90.5
    assert body["progress"]["user_id"] == learner["id"] and body["progress"]["completion_percentage"] == 100


@pytest.mark.parametrize("who", ["anon", "learner"])
def test_seed_001_course_query_through_supabase_js_works(stack, db, course, who):
    headers = make_account(db)["headers"] if who == "learner" else {}
    response = rest(stack, "courses", headers, params={
        "select": "*,instructor:profiles(id,full_name,avatar_url),lessons(id)", "is_published": "eq.true",
        "id": f"eq.{course.course_id}"})
    assert response.status_code == 200, response.text
    [row] = response.json()
    assert row["is_published"] is True and len(row["lessons"]) == 4 and "instructor" in row


def test_seed_001_rpcs_work_for_the_caller_only(stack, client, db, course):
    learner, other = make_account(db), make_account(db)
    client.post(f"/api/progress/lessons/{course.lessons(0)[0]}", headers=learner["headers"])
    own = rest(stack, "rpc/get_course_progress", learner["headers"], method="post",
               json={"user_uuid": learner["id"], "course_uuid": course.course_id})
    assert own.status_code == 200 and own.json()["completed_lessons"] == 1 and own.json()["total_lessons"] == 4
    assert rest(stack, "rpc/check_achievements", learner["headers"], method="post",
                json={"user_uuid": learner["id"]}).status_code == 200
    for function, args in (("check_achievements", {"user_uuid": other["id"]}),
                           ("get_course_progress", {"user_uuid": other["id"], "course_uuid": course.course_id})):
        assert rest(stack, f"rpc/{function}", learner["headers"], method="post", json=args).status_code == 403
        assert rest(stack, f"rpc/{function}", method="post", json=args).status_code in (401, 403)


# ----- seed 002 ---------------------------------------------------------------------------------
TUTORIAL = {"tutorialId": str, "userId": str, "completionPercentage": NUMBER, "chaptersCompleted": int,
            "totalChapters": int, "chapterProgress": list, "quizScores": list, "certificateEligible": bool,
            "certificateEarned": bool, "totalWatchTime": NUMBER, "lastWatchedAt": (str, type(None))}


def test_seed_002_curl_lines_and_fractional_watch_time(client):
    learner = register(client)
    base = f"/v1/tutorials/progress/test-tutorial-{uuid.uuid4().hex[:6]}"
    assert has_types(client.get(f"{base}?userId={learner['id']}", headers=learner["headers"]).json, TUTORIAL)
    chapter = client.post(f"{base}/chapter", headers=learner["headers"], json={
        "userId": learner["id"], "chapterId": "chapter-1", "watchTime": 300.25, "completed": True, "totalChapters": 8})
    assert chapter.status_code == 200 and has_types(chapter.json, TUTORIAL)
    assert chapter.json["chapterProgress"][0] == {"chapterId": "chapter-1", "watchTime": 300.25, "completed": True,
                                                  "lastPosition": 300.25}
    quiz = client.post(f"{base}/quiz", headers=learner["headers"], json={
        "userId": learner["id"], "quizId": "quiz-1", "score": 8, "maxScore": 10, "passed": True})
    assert has_types(quiz.json["quizScores"][0], {"quizId": str, "score": int, "maxScore": int, "passed": bool,
                                                  "attempts": int})
    complete = client.post(f"{base}/complete", headers=learner["headers"], json={"userId": learner["id"]})
    assert complete.status_code == 400 and complete.json["error"] == "Not eligible for certificate."
    reset = client.delete(f"{base}?userId={learner['id']}", headers=learner["headers"])
    assert reset.json == {"success": True, "message": "Progress reset successfully"}


# ----- seeds 003 and 004 -------------------------------------------------------------------------
ROLLUP = {"percent": int, "completedCount": int, "totalCount": int}


def test_seed_003_shapes(client, course):
    learner = register(client)
    lesson = course.lessons(0)[0]
    marked = client.post(f"/api/progress/lessons/{lesson}", headers=learner["headers"], json={}).json
    assert has_types(marked, {"lessonId": str, "completed": bool, "completedAt": str, "module": dict, "overall": dict})
    assert has_types(marked["module"], {"moduleId": str, **ROLLUP}) and has_types(marked["overall"], ROLLUP)
    unmarked = client.delete(f"/api/progress/lessons/{lesson}", headers=learner["headers"]).json
    assert unmarked["completed"] is False and unmarked["completedAt"] is None
    assert has_types(client.get("/api/progress/summary", headers=learner["headers"]).json, ROLLUP)
    module = client.get(f"/api/progress/modules/{course.module_id(0)}", headers=learner["headers"]).json
    assert has_types(module["lessons"][0], {"lessonId": str, "completed": bool, "completedAt": (str, type(None))})
    assert has_types(client.get("/api/progress/lessons", headers=learner["headers"]).json, {"lessons": list})


def test_seed_004_shapes(client, course):
    learner = register(client)
    lesson = course.lessons(0)[0]
    item = client.post("/api/progress/update", headers=learner["headers"], json={
        "contentId": lesson, "contentType": "lesson", "status": "completed", "progressPercentage": 100,
        "score": 9, "data": {"answers": [1]}}).json
    assert has_types(item, {"contentId": str, "contentType": str, "status": str, "progressPercentage": int,
                            "score": int, "data": dict, "completedAt": str, "lastAccessedAt": str})
    assert has_types(client.get(f"/api/progress?userId={learner['id']}", headers=learner["headers"]).json, {"items": list})
    content = client.get(f"/api/progress/content?contentId={lesson}", headers=learner["headers"]).json
    assert content["status"] == "completed"
    summary = client.get(f"/api/progress/course_summary?courseId={course.course_id}", headers=learner["headers"]).json
    assert has_types(summary, {"courseId": str, "status": str, "percent": int, **ROLLUP})
