"""The access-control matrix: another learner's ids get 403 or 404 and change nothing; no token
gets 401; straight to PostgREST, RLS keeps every learner to their own rows."""

from __future__ import annotations

import httpx
import pytest

from devstack.stack import ANON_KEY
from tests.catalogs import course_tree, import_course


@pytest.fixture(scope="module")
def course(app):
    course = course_tree((3,))
    import_course(app, course)
    return course


@pytest.fixture
def victim(client, course, db, browser_learner):
    """Learner A with progress in every contract."""
    a, b, _ = course.lessons(0)
    h = browser_learner["headers"]
    client.post(f"/api/progress/lessons/{a}", headers=h)
    client.post("/api/progress/save", json={"courseId": course.course_id, "progress": {"version": 1, "completedLessonIds": [b]}}, headers=h)
    client.post(f"/v1/tutorials/progress/{course.course_id}/quiz", json={"quizId": "q", "score": 1, "maxScore": 2, "passed": True}, headers=h)
    return browser_learner


def snapshot(db, learner_id):
    return db.execute(
        "select (select jsonb_agg(to_jsonb(lp) order by lesson_id) from lesson_progress lp where learner_id = %(id)s),"
        " (select count(*) from quiz_attempts where learner_id = %(id)s),"
        " (select count(*) from progress_history where learner_id = %(id)s),"
        " (select jsonb_agg(to_jsonb(e) order by course_id) from enrollments e where learner_id = %(id)s)",
        {"id": learner_id},
    ).fetchone()


def requests_naming(a: str, course) -> list[tuple[str, str, dict | None]]:
    lesson = course.lessons(0)[0]
    c = course.course_id
    return [
        ("get", f"/api/identity?userId={a}", None),
        ("get", f"/api/progress?userId={a}", None),
        ("get", f"/api/progress?userId={a}&courseId={c}", None),
        ("get", f"/api/progress/list?userId={a}", None),
        ("get", f"/api/progress/content?userId={a}&contentId={lesson}", None),
        ("get", f"/api/progress/course_summary?userId={a}&courseId={c}", None),
        ("get", f"/api/progress/next?userId={a}&courseId={c}", None),
        ("post", "/api/progress/update", {"userId": a, "contentId": lesson, "contentType": "lesson", "status": "not-started"}),
        ("post", "/api/progress/save", {"userId": a, "courseId": c, "progress": {"version": 1, "unmarkedAt": {lesson: "2030-01-01T00:00:00Z"}}}),
        ("delete", f"/api/progress?userId={a}&courseId={c}", None),
        ("get", f"/v1/tutorials/progress/{c}?userId={a}", None),
        ("post", f"/v1/tutorials/progress/{c}/chapter", {"userId": a, "chapterId": lesson, "watchTime": 1}),
        ("post", f"/v1/tutorials/progress/{c}/quiz", {"userId": a, "quizId": "q", "score": 0, "maxScore": 1, "passed": False}),
        ("post", f"/v1/tutorials/progress/{c}/complete", {"userId": a}),
        ("delete", f"/v1/tutorials/progress/{c}?userId={a}", None),
    ]


def test_another_learner_with_a_valid_token_gets_403_or_404_and_changes_nothing(client, db, course, victim, account):
    before = snapshot(db, victim["id"])
    for method, path, body in requests_naming(victim["id"], course):
        response = getattr(client, method)(path, json=body, headers=account["headers"])
        assert response.status_code in (403, 404), (method, path, response.status_code)
    assert snapshot(db, victim["id"]) == before


def test_no_token_is_401(client, course, victim):
    for method, path, body in requests_naming(victim["id"], course):
        response = getattr(client, method)(path, json=body)
        assert response.status_code == 401, (method, path, response.status_code)


def test_claiming_someone_elses_anonymous_progress_needs_their_token(client, victim, account):
    response = client.post("/api/progress/claim", json={"userId": victim["id"], "token": "not-their-token"}, headers=account["headers"])
    assert response.status_code == 403


def test_someone_elses_notification_is_404(client, db, victim, account):
    note = db.execute(
        "insert into notifications (learner_id, type, title, message) values (%s, 'achievement', 't', 'm') returning id",
        (victim["id"],)).fetchone()[0]
    assert client.post(f"/api/notifications/{note}/read", headers=account["headers"]).status_code == 404
    assert db.execute("select read_at from notifications where id = %s", (note,)).fetchone()[0] is None


TABLES = ["lesson_progress", "enrollments", "quiz_attempts", "progress_history", "course_documents", "lesson_device_time",
          "device_reports", "exercise_progress", "content_visits", "notifications", "user_achievements", "certificates", "learners"]


def rest(stack, path, headers, method="get", **kwargs):
    return httpx.request(method, f"{stack.supabase_url}/rest/v1/{path}", headers={"apikey": ANON_KEY, **headers}, **kwargs)


@pytest.mark.parametrize("table", TABLES)
def test_straight_to_postgrest_a_learner_reads_only_their_rows(stack, victim, account, table):
    rows = rest(stack, f"{table}?select=*", account["headers"])
    assert rows.status_code == 200
    owner = "id" if table == "learners" else "learner_id"
    assert {row[owner] for row in rows.json()} <= {account["id"]}


def test_straight_to_postgrest_a_learner_cannot_change_anothers_rows(stack, db, victim, account):
    before = snapshot(db, victim["id"])
    headers = {**account["headers"], "Prefer": "return=representation"}
    patched = rest(stack, f"lesson_progress?learner_id=eq.{victim['id']}", headers, "patch", json={"status": "not-started"})
    assert patched.status_code in (200, 204, 401, 403) and (patched.status_code != 200 or patched.json() == [])
    deleted = rest(stack, f"lesson_progress?learner_id=eq.{victim['id']}", headers, "delete")
    assert deleted.status_code in (200, 204, 401, 403)
    inserted = rest(stack, "enrollments", headers, "post",
                    json={"learner_id": victim["id"], "course_id": victim["id"], "source": "explicit"})
    assert inserted.status_code in (401, 403)
    assert snapshot(db, victim["id"]) == before


def test_with_the_anon_key_only_the_published_catalog_is_visible(stack, victim, db):
    for table in TABLES:
        assert rest(stack, f"{table}?select=*", {}).json() == [], table
    published = {row["id"] for row in rest(stack, "courses?select=id", {}).json()}
    expected = {str(row[0]) for row in db.execute("select id from courses where published").fetchall()}
    assert published == expected
