"""Instructor insight: every figure equals a recount in SQL after a scripted set of learners; only
the course's instructor and admins read it, through the API and straight through PostgREST."""

from __future__ import annotations

import csv
import io
import uuid

import httpx
import pytest

from devstack.stack import ANON_KEY
from tests.catalogs import course_tree, import_course, new_id
from tests.conftest import bearer
from tests.test_platform import make_account


def register(client) -> dict:
    user_id = str(uuid.uuid4())
    return {"id": user_id, "headers": bearer(client.post("/api/learners", json={"userId": user_id}).json["token"])}


@pytest.fixture(scope="module")
def scripted(app, stack):
    """A course with 2 modules, a quiz, and 8 learners at every stage, some long inactive."""
    import psycopg

    course = course_tree((2, 2))
    quiz_id = new_id()
    course.modules[0]["lessons"][1]["exercises"] = [
        {"id": quiz_id, "slug": "quiz", "title": "Module quiz", "kind": "quiz", "maxScore": 10, "passMark": 0.7}]
    import_course(app, course)
    with psycopg.connect(stack.superuser_url, autocommit=True) as db:
        instructor = make_account(db, role="instructor", name="Iris Instructor")
        db.execute("update courses set instructor_id = %s where id = %s", (instructor["id"], course.course_id))
        a1, a2 = course.lessons(0)
        b1, b2 = course.lessons(1)
        client = app.test_client()
        plan = [  # lessons completed, quiz scores, days since last activity, weeks since enrollment
            ([], [], 20, 3),             # enrolled, never started
            ([a1], [], 15, 3),           # stopped at a1 long ago
            ([a1], [3], 12, 2),          # stopped after failing the quiz
            ([a1, a2], [8], 10, 2),      # passed, stopped before module 2
            ([a1, a2, b1], [9], 1, 1),   # active
            ([a1, a2, b1, b2], [10], 0, 1),  # done
            ([a1, a2, b1, b2], [6, 7], 30, 3),  # done long ago
            ([a1], [], 2, 0),            # active, new
        ]
        learners = []
        for lessons, scores, idle_days, weeks in plan:
            learner = register(client) if len(learners) % 2 else make_account(db, name=f"Learner {len(learners)}")
            client.post("/api/enrollments", json={"courseId": course.course_id}, headers=learner["headers"])
            for lesson in lessons:
                client.post(f"/api/progress/lessons/{lesson}", headers=learner["headers"])
            for score in scores:
                client.post(f"/api/quizzes/{a2}/attempts", headers=learner["headers"],
                            json={"score": score, "maxScore": 10, "answers": []})
            for order, lesson in enumerate(lessons):  # the last lesson in the plan is the latest
                db.execute("update lesson_progress set last_accessed_at = now() - make_interval(days => %s, mins => %s)"
                           " where learner_id = %s and lesson_id = %s", (idle_days, len(lessons) - order, learner["id"], lesson))
            db.execute("update enrollments set enrolled_at = now() - make_interval(weeks => %s)"
                       " where learner_id = %s and course_id = %s", (weeks, learner["id"], course.course_id))
            learners.append(learner)
        admin = make_account(db, role="admin")
        other_instructor = make_account(db, role="instructor")
    return {"course": course, "instructor": instructor, "learners": learners, "admin": admin,
            "other": other_instructor, "quiz": quiz_id}


def test_every_figure_equals_a_recount(client, db, scripted):
    course = scripted["course"]
    body = client.get(f"/api/insights/courses/{course.course_id}", headers=scripted["instructor"]["headers"]).json
    recount = lambda sql, *args: db.execute(sql, args).fetchone()[0]  # noqa: E731
    enrolled = recount("select count(*) from enrollments where course_id = %s", course.course_id)
    started = recount("select count(distinct e.learner_id) from enrollments e join lesson_progress lp on lp.learner_id = e.learner_id"
                      " join lesson_catalog lc on lc.lesson_id = lp.lesson_id and lc.course_id = e.course_id"
                      " where e.course_id = %s", course.course_id)
    completed = recount("select count(*) from enrollments where course_id = %s and completed_at is not null", course.course_id)
    assert (body["funnel"]["enrolled"], body["funnel"]["started"], body["funnel"]["completed"]) == (8, started, completed) == (8, 7, 2)
    assert enrolled == 8
    reached = [m["reached"] for m in body["funnel"]["modules"]]
    assert reached == [7, 3]
    by_lesson = {lesson["lessonId"]: lesson for lesson in body["lessons"]}
    for lesson_id in course.lessons(0) + course.lessons(1):
        assert by_lesson[lesson_id]["completed"] == recount(
            "select count(*) from lesson_progress where lesson_id = %s and completed_at is not null", lesson_id)
    a1, a2 = course.lessons(0)
    assert by_lesson[a1]["dropOff"] == 2 and by_lesson[a2]["dropOff"] == 1, "last activity there, inactive, not done"
    [quiz] = body["quizzes"]
    assert quiz["attempts"] == recount("select count(*) from quiz_attempts where course_id = %s", course.course_id) == 6
    assert quiz["learners"] == 5 and quiz["passRate"] == round(4 / 5, 3)
    assert quiz["histogram"] == [0, 0, 0, 1, 0, 0, 0, 1, 1, 2], "best scores 3, 7, 8, 9, 10 of 10"
    assert sum(c["learners"] for c in body["cohorts"]) == 8
    assert body["activity"][-1]["activeLearners"] >= 1 and len(body["activity"]) == 90
    nudges = client.get(f"/api/insights/courses/{course.course_id}/nudges", headers=scripted["instructor"]["headers"]).json
    assert len(nudges["learners"]) == recount(
        "select count(*) from enrollments e where e.course_id = %s and e.completed_at is null and coalesce(("
        "select max(lp.last_accessed_at) from lesson_progress lp join lesson_catalog lc on lc.lesson_id = lp.lesson_id"
        " where lp.learner_id = e.learner_id and lc.course_id = e.course_id), e.enrolled_at) < now() - interval '7 days'",
        course.course_id) == 4
    ids = {learner["id"] for learner in scripted["learners"]}
    assert not any(row["learner"] in ids for row in nudges["learners"]), "names or pseudonyms, never ids"
    assert nudges["learners"][0]["inactive_days"] >= nudges["learners"][-1]["inactive_days"]


def test_the_csv_has_a_row_per_learner(client, scripted):
    course = scripted["course"]
    response = client.get(f"/api/insights/courses/{course.course_id}/nudges.csv?sort=progress",
                          headers=scripted["instructor"]["headers"])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 4 and [int(r["progress_percentage"]) for r in rows] == sorted(int(r["progress_percentage"]) for r in rows)


def test_only_the_courses_instructor_and_admins_read_it(client, scripted, stack):
    course = scripted["course"]
    path = f"/api/insights/courses/{course.course_id}"
    assert client.get(path, headers=scripted["admin"]["headers"]).status_code == 200
    assert client.get(path, headers=scripted["other"]["headers"]).status_code == 403
    assert client.get(path, headers=scripted["learners"][0]["headers"]).status_code == 403
    assert client.get(f"/api/insights/courses/{uuid.uuid4()}", headers=scripted["admin"]["headers"]).status_code == 404

    def rest(learner, viewer):
        return httpx.post(f"{stack.supabase_url}/rest/v1/rpc/course_insights",
                          headers={"apikey": ANON_KEY, **learner["headers"]},
                          json={"p_viewer_id": viewer, "p_course_id": course.course_id})

    assert rest(scripted["instructor"], scripted["instructor"]["id"]).status_code == 200
    assert rest(scripted["other"], scripted["other"]["id"]).status_code == 403
    assert rest(scripted["other"], scripted["instructor"]["id"]).status_code == 403, "never in another's name"
