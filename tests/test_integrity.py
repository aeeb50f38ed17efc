"""Integrity: what one learner asserts or writes, through the API or straight through PostgREST,
never changes another learner's state, mints a credential, or grants what did not happen."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devstack.stack import ANON_KEY
from tests.catalogs import course_tree, import_course
from tests.conftest import bearer
from tests.test_platform import make_account

BASE = "/v1/tutorials/progress"


def rest(stack, path, learner=None, method="get", **kwargs):
    """Straight to PostgREST through the gateway, as supabase-js would (anon key, learner token)."""
    headers = {"apikey": ANON_KEY, **(learner["headers"] if learner else {}), **kwargs.pop("headers", {})}
    return httpx.request(method, f"{stack.supabase_url}/rest/v1/{path}", headers=headers, **kwargs)


def register(client) -> dict:
    user_id = str(uuid.uuid4())
    response = client.post("/api/learners", json={"userId": user_id})
    return {"id": user_id, "headers": bearer(response.json["token"])}


@pytest.fixture
def course(app):
    course = course_tree((2, 1))
    import_course(app, course)
    return course


# 1 ----------------------------------------------------------------------------------------------
def test_another_learner_cannot_change_my_chapter_count_of_an_unknown_tutorial(client):
    a, b, tutorial = register(client), register(client), f"intro-video-{uuid.uuid4().hex[:6]}"
    for chapter in ("c1", "c2"):
        client.post(f"{BASE}/{tutorial}/chapter", headers=a["headers"],
                    json={"chapterId": chapter, "watchTime": 1, "completed": True, "totalChapters": 2})
    client.post(f"{BASE}/{tutorial}/chapter", headers=b["headers"],
                json={"chapterId": "x", "watchTime": 1, "totalChapters": 10000})
    mine = client.get(f"{BASE}/{tutorial}", headers=a["headers"]).json
    assert (mine["completionPercentage"], mine["totalChapters"], mine["certificateEligible"]) == (100, 2, True)
    assert client.post(f"{BASE}/{tutorial}/complete", headers=a["headers"]).status_code == 200
    theirs = client.get(f"{BASE}/{tutorial}", headers=b["headers"]).json
    assert (theirs["totalChapters"], theirs["chaptersCompleted"]) == (10000, 0)


# 2 ----------------------------------------------------------------------------------------------
def test_learner_text_never_lands_in_the_public_catalog(client, stack):
    learner, tutorial = register(client), f"Official: Free Bitcoin at evil.example {uuid.uuid4().hex[:6]}"
    posted = client.post(f"{BASE}/{tutorial}/chapter", headers=learner["headers"],
                         json={"chapterId": "Claim your prize", "watchTime": 1})
    assert posted.status_code == 200
    courses = rest(stack, "courses", params={"select": "title", "title": f"eq.{tutorial}"}).json()
    lessons = rest(stack, "lessons", params={"select": "title", "title": "eq.Claim your prize"}).json()
    assert courses == [] and lessons == []
    assert tutorial not in {c["title"] for c in client.get("/api/courses?perPage=100").json["courses"]}


# 3 ----------------------------------------------------------------------------------------------
def test_a_certificate_for_a_self_declared_tutorial_never_reads_as_a_verified_course(client):
    learner, tutorial = register(client), f"Harvard MBA {uuid.uuid4().hex[:6]}"
    client.post(f"{BASE}/{tutorial}/chapter", headers=learner["headers"],
                json={"chapterId": "only", "watchTime": 1, "completed": True, "totalChapters": 1})
    certificate_id = client.post(f"{BASE}/{tutorial}/complete", headers=learner["headers"]).json["certificateId"]
    verified = client.get(f"/v1/certificates/{certificate_id}").json
    assert verified["valid"] is False and verified["status"] == "self-declared"
    assert verified["basis"] == {"kind": "self-declared", "courseId": None, "publisher": None}
    page = client.get(f"/certificates/{certificate_id}").get_data(as_text=True)
    assert "Self-declared" in page


def test_a_certificate_of_a_catalog_course_names_the_course(client, app, db):
    course = course_tree((1,))
    import_course(app, course)
    learner = register(client)
    lesson = course.lessons(0)[0]
    client.post(f"{BASE}/{course.course_id}/chapter", headers=learner["headers"],
                json={"chapterId": lesson, "watchTime": 1, "completed": True})
    certificate_id = client.post(f"{BASE}/{course.course_id}/complete", headers=learner["headers"]).json["certificateId"]
    verified = client.get(f"/v1/certificates/{certificate_id}").json
    assert verified["valid"] is True and verified["status"] == "valid"
    assert verified["basis"]["kind"] == "catalog" and verified["basis"]["courseId"] == course.course_id


# 4 ----------------------------------------------------------------------------------------------
def test_passed_follows_the_score_not_the_clients_flag(client):
    learner, tutorial = register(client), f"quiz-{uuid.uuid4().hex[:6]}"
    body = client.post(f"{BASE}/{tutorial}/quiz", headers=learner["headers"],
                       json={"quizId": "q", "score": 0, "maxScore": 10, "passed": True}).json
    assert body["quizScores"][0]["passed"] is False
    passing = client.post(f"{BASE}/{tutorial}/quiz", headers=learner["headers"],
                          json={"quizId": "q2", "score": 7, "maxScore": 10, "passed": False}).json
    assert [q["passed"] for q in passing["quizScores"]] == [False, True], "70 % passes when the catalog sets no mark"


def test_reported_time_cannot_outrun_the_wall_clock(client, course):
    learner = register(client)
    lesson = course.lessons(0)[0]
    saved = client.post("/api/progress/save", headers=learner["headers"], json={
        "courseId": course.course_id, "progress": {"completedLessonIds": [], "lessonTimes": {lesson: 86_400}}}).json
    assert saved["progress"]["timeSpentSeconds"] <= 600 + 5, "at most the margin above the time since registration"
    achievements = client.get("/api/achievements", headers=learner["headers"]).json["achievements"]
    assert not any(a["earned"] for a in achievements if a["criteria"]["type"] == "time_spent")
    watched = client.post(f"{BASE}/{course.course_id}/chapter", headers=learner["headers"],
                          json={"chapterId": course.lessons(0)[1], "watchTime": 86_400}).json
    assert watched["totalWatchTime"] <= 600 + 5


def test_time_that_did_pass_is_counted_in_full(client, course, db):
    learner = register(client)
    lesson = course.lessons(0)[0]
    db.execute("update learners set created_at = now() - interval '2 hours' where id = %s", (learner["id"],))
    saved = client.post("/api/progress/save", headers=learner["headers"], json={
        "courseId": course.course_id, "progress": {"lessonTimes": {lesson: 3_600}}}).json
    assert saved["progress"]["timeSpentSeconds"] == 3_600


def test_a_reset_does_not_give_a_device_back_the_time_since_registration(client, course, db):
    """A device's first report of a lesson is bounded by the time since its last report of any
    lesson. A reset deletes the course's rows, their device counters with them; the device's last
    report stays what it was, so the time since registration is not open to it again."""
    learner = register(client)
    first, second = course.lessons(0)[:2]
    db.execute("update learners set created_at = now() - interval '2 hours' where id = %s", (learner["id"],))
    tablet = {"courseId": course.course_id, "deviceId": "tablet"}
    saved = client.post("/api/progress/save", headers=learner["headers"],
                        json={**tablet, "progress": {"lessonTimes": {first: 60}}}).json
    assert saved["progress"]["timeSpentSeconds"] == 60
    assert client.delete(f"/api/progress?courseId={course.course_id}", headers=learner["headers"]).status_code == 200
    saved = client.post("/api/progress/save", headers=learner["headers"],
                        json={**tablet, "progress": {"lessonTimes": {second: 3_600}}}).json
    assert saved["progress"]["timeSpentSeconds"] <= 600 + 5, "the tablet reported seconds ago, not two hours ago"


def test_switching_time_zones_cannot_create_streak_days(client, course, db):
    learner = make_account(db)
    headers = learner["headers"]
    for zone, lesson in zip(("Pacific/Kiritimati", "Pacific/Pago_Pago", "Pacific/Kiritimati"), course.lessons(0) + course.lessons(1)):
        assert client.patch("/api/me", json={"timeZone": zone}, headers=headers).status_code == 200
        client.post(f"/api/progress/lessons/{lesson}", headers=headers)
    days = db.execute("select count(*) from learner_activity_days where learner_id = %s", (learner["id"],)).fetchone()[0]
    assert days == 1
    assert client.get("/api/me", headers=headers).json["streakDays"] == 1


# 5 ----------------------------------------------------------------------------------------------
def rating_counters(db, course_id):
    return db.execute(
        "select c.rating_count, c.rating_sum, (select count(*) from course_ratings r where r.course_id = c.id),"
        " (select coalesce(sum(rating), 0) from course_ratings r where r.course_id = c.id)"
        " from courses c where c.id = %s", (course_id,)).fetchone()


def test_rating_counters_equal_their_rows_whichever_path_wrote_them(client, stack, db, course):
    learner = make_account(db)
    for rating in (5, 1, 4):
        client.post(f"/api/courses/{course.course_id}/ratings", json={"rating": rating}, headers=learner["headers"])
        rest(stack, f"course_ratings?learner_id=eq.{learner['id']}&course_id=eq.{course.course_id}", learner,
             method="patch", json={"rating": 2})
    count, total, rows, row_sum = rating_counters(db, course.course_id)
    assert (count, total) == (rows, row_sum) == (1, 2)


def test_ratings_straight_through_postgrest_follow_the_apis_rules(stack, db, app):
    premium = course_tree((1,), premium=True)
    import_course(app, premium)
    other = course_tree((1,))
    import_course(app, other)
    learner = make_account(db)
    refused = rest(stack, "course_ratings", learner, method="post",
                   json={"learner_id": learner["id"], "course_id": premium.course_id, "rating": 5})
    assert refused.status_code in (401, 403), "no rating of a premium course without an enrollment"
    made = rest(stack, "course_ratings", learner, method="post",
                json={"learner_id": learner["id"], "course_id": other.course_id, "rating": 4})
    assert made.status_code == 201
    moved = rest(stack, f"course_ratings?learner_id=eq.{learner['id']}", learner, method="patch",
                 json={"course_id": premium.course_id})
    assert moved.status_code in (401, 403), "a rating never moves to another course"
    assert rating_counters(db, other.course_id)[:2] == (1, 4)


# 6 ----------------------------------------------------------------------------------------------
def test_instructors_cannot_write_the_columns_the_service_owns(stack, db, course):
    instructor = make_account(db, role="instructor")
    created = rest(stack, "courses", instructor, method="post", headers={"Prefer": "return=representation"},
                   json={"slug": f"mine-{uuid.uuid4().hex[:6]}", "title": "Mine", "instructor_id": instructor["id"]})
    assert created.status_code == 201
    mine = created.json()[0]["id"]
    for column, value in (("enrollment_count", 10_000), ("average_rating", 5), ("rating_count", 99),
                          ("rating_sum", 495), ("source", "tutorial"), ("external_key", "intro-video")):
        response = rest(stack, f"courses?id=eq.{mine}", instructor, method="patch", json={column: value})
        assert response.status_code in (401, 403), f"{column} is not the instructor's to write"
    squatting = rest(stack, "courses", instructor, method="post", json={
        "slug": f"squat-{uuid.uuid4().hex[:6]}", "title": "Squat", "instructor_id": instructor["id"],
        "source": "tutorial", "external_key": "intro-video"})
    assert squatting.status_code in (401, 403)
    assert db.execute("select enrollment_count, source from courses where id = %s", (mine,)).fetchone() == (0, "catalog")


# 7 ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fields", [
    {"avatar_url": "javascript:alert(1)"},
    {"username": "evil\u202egnp.exe"},
    {"full_name": "<img src=x onerror=alert(1)>"},
    {"role": "admin"},
])
def test_profile_fields_written_through_postgrest_obey_the_apis_rules(stack, db, fields):
    learner = make_account(db)
    response = rest(stack, f"profiles?id=eq.{learner['id']}", learner, method="patch", json=fields)
    assert response.status_code in (400, 401, 403)
    stored = db.execute(f"select {', '.join(fields)} from profiles where id = %s", (learner["id"],)).fetchone()
    assert list(stored) != list(fields.values())


def test_the_api_refuses_the_same_profile_values(client, db):
    learner = make_account(db)
    for fields in ({"avatarUrl": "javascript:alert(1)"}, {"fullName": "<b>bold</b>"}, {"fullName": "a\u202eb"}):
        assert client.patch("/api/me", json=fields, headers=learner["headers"]).status_code == 400, fields


def test_the_public_sees_no_learners_profile_and_no_roles(stack, db):
    learner = make_account(db)
    assert rest(stack, f"profiles?id=eq.{learner['id']}&select=id").json() == []
    assert rest(stack, "profiles?select=role").status_code in (401, 403)
    own = rest(stack, f"profiles?id=eq.{learner['id']}&select=role", learner).json()
    assert own == [{"role": "student"}], "seed 001's middleware reads its own role"


# 8 ----------------------------------------------------------------------------------------------
def test_open_mode_never_acts_as_a_supabase_account(make_app, db, course):
    client = make_app(ANONYMOUS_LEARNERS="open").test_client()
    account = make_account(db)
    lesson = course.lessons(0)[0]
    write = client.post("/api/progress/update", json={
        "userId": account["id"], "contentId": lesson, "contentType": "lesson", "status": "completed"})
    assert write.status_code == 403
    read = client.get(f"/api/progress?userId={account['id']}")
    assert read.status_code == 403
    assert db.execute("select count(*) from lesson_progress where learner_id = %s", (account["id"],)).fetchone()[0] == 0


def test_account_ids_are_not_listed_to_the_public(make_app, db, course):
    client = make_app(LEADERBOARD_CACHE_SECONDS=0).test_client()
    learner = make_account(db)
    client.post("/api/progress", headers=learner["headers"], json={
        "lessonId": course.lessons(0)[0], "courseId": course.course_id, "completionPercentage": 100})
    leaders = client.get("/api/leaderboard").json["leaders"]
    assert leaders and all("learnerId" not in leader for leader in leaders)


# 9 ----------------------------------------------------------------------------------------------
def test_a_claimed_browser_token_gets_a_clear_error_and_writes_nothing(client, db, course):
    browser, account = register(client), make_account(db)
    lesson, later = course.lessons(0)
    client.post(f"/api/progress/lessons/{lesson}", headers=browser["headers"])
    token = browser["headers"]["Authorization"].split()[1]
    claimed = client.post("/api/progress/claim", json={"userId": browser["id"], "token": token}, headers=account["headers"])
    assert claimed.status_code == 200
    retired = client.post(f"/api/progress/lessons/{later}", headers=browser["headers"])
    assert retired.status_code == 409 and retired.json["code"] == "learner_claimed"
    assert db.execute("select count(*) from lesson_progress where learner_id = %s", (browser["id"],)).fetchone()[0] == 0


def test_a_deleted_users_token_writes_nothing(client, db, course):
    account = make_account(db)
    db.execute("delete from auth.users where id = %s", (account["id"],))
    response = client.post(f"/api/progress/lessons/{course.lessons(0)[0]}", headers=account["headers"])
    assert response.status_code == 401 and response.json["code"] == "account_deleted"
    assert db.execute("select count(*) from lesson_progress where learner_id = %s", (account["id"],)).fetchone()[0] == 0


# 5, as a property ------------------------------------------------------------------------------
RATING_WRITES = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(["api", "rest-insert", "rest-patch", "rest-delete"]),
              st.integers(1, 5)),
    min_size=1, max_size=10)


def rate(app, stack, course_id, learner, path, rating):
    """One rating write by `learner`, through the API or straight through PostgREST."""
    if path == "api":
        with app.test_client() as client:
            return client.post(f"/api/courses/{course_id}/ratings", json={"rating": rating}, headers=learner["headers"])
    row = f"course_ratings?learner_id=eq.{learner['id']}&course_id=eq.{course_id}"
    if path == "rest-insert":
        return rest(stack, "course_ratings", learner, method="post",
                    json={"learner_id": learner["id"], "course_id": course_id, "rating": rating})
    if path == "rest-patch":
        return rest(stack, row, learner, method="patch", json={"rating": rating})
    return rest(stack, row, learner, method="delete")


def assert_counters_equal_rows(db, course_id):
    count, total, rows, row_sum = rating_counters(db, course_id)
    average = db.execute("select average_rating from courses where id = %s", (course_id,)).fetchone()[0]
    assert (count, total) == (rows, row_sum)
    assert float(average) == (round(row_sum / rows, 2) if rows else 0)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=RATING_WRITES)
def test_any_interleaving_of_rating_writes_keeps_counters_equal_to_their_rows(app, stack, db, writes):
    course = course_tree((1,))
    import_course(app, course)
    learners = [make_account(db) for _ in range(3)]
    for who, path, rating in writes:
        rate(app, stack, course.course_id, learners[who], path, rating)
    assert_counters_equal_rows(db, course.course_id)


def test_concurrent_rating_writes_on_both_paths_keep_counters_equal_to_their_rows(app, stack, db):
    course = course_tree((1,))
    import_course(app, course)
    learners = [make_account(db) for _ in range(6)]
    writes = [(who, path, 1 + (who + n) % 5) for n in range(4) for who in range(6)
              for path in ("api", "rest-patch", "rest-insert", "rest-delete")]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda write: rate(app, stack, course.course_id, learners[write[0]], *write[1:]), writes))
    assert_counters_equal_rows(db, course.course_id)
