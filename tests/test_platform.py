"""Seed 001: profiles, courses API, lesson progress with achievements, quizzes, streaks,
notifications, ratings, leaderboard; and an end-to-end journey."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.catalogs import course_tree, import_course
from tests.conftest import bearer, supabase_token


def make_account(db, role="student", name="Grace Hopper"):
    user_id = str(uuid.uuid4())
    db.execute(
        "insert into auth.users (id, aud, role, email, raw_user_meta_data) values (%s, 'authenticated', 'authenticated', %s,"
        " jsonb_build_object('full_name', %s::text, 'username', %s::text))",
        (user_id, f"{user_id[:8]}@example.test", name, f"user_{user_id[:8]}"),
    )
    if role != "student":
        db.execute("update profiles set role = %s where id = %s", (role, user_id))
    return {"id": user_id, "headers": bearer(supabase_token(user_id))}


@pytest.fixture
def course(app, db):
    course = course_tree((2, 1))
    import_course(app, course)
    db.execute("update courses set category = 'testing', difficulty_level = 'advanced' where id = %s", (course.course_id,))
    return course


def test_a_profile_appears_with_the_auth_user(client, db):
    learner = make_account(db)
    me = client.get("/api/me", headers=learner["headers"]).json
    assert me["profile"]["username"] == f"user_{learner['id'][:8]}"
    assert me["profile"]["fullName"] == "Grace Hopper" and me["profile"]["role"] == "student"
    assert (me["points"], me["streakDays"], me["timeZone"]) == (0, 0, "UTC")


def test_settings_validate_the_time_zone(client, db):
    learner = make_account(db)
    assert client.patch("/api/me", json={"timeZone": "Mars/Olympus"}, headers=learner["headers"]).status_code == 400
    assert client.patch("/api/me", json={"timeZone": "Europe/Paris"}, headers=learner["headers"]).json["timeZone"] == "Europe/Paris"


def test_course_listing_filters_and_paginates(client, course):
    everything = client.get("/api/courses?perPage=100").json
    assert course.course_id in [c["id"] for c in everything["courses"]], "no filter lists every published course"
    listed = client.get("/api/courses?category=testing&difficulty=advanced").json
    assert [c["id"] for c in listed["courses"]] == [course.course_id]
    assert len(listed["courses"][0]["lessons"]) == 3 and listed["total"] == 1
    assert client.get("/api/courses?search=Test%20cour&perPage=1").json["perPage"] == 1
    assert client.get("/api/courses?difficulty=expert").status_code == 400
    assert client.get(f"/api/courses/{course.course_id}").json["course"]["title"] == "Test course"
    assert client.get(f"/api/courses/{uuid.uuid4()}").status_code == 404


def test_only_instructors_and_admins_manage_courses(client, db):
    student, teacher, other, admin = (make_account(db, role) for role in ("student", "instructor", "instructor", "admin"))
    body = {"title": "Rust for learners", "category": "systems", "tags": ["rust"], "price": 9.9}
    assert client.post("/api/courses", json=body, headers=student["headers"]).status_code == 403
    created = client.post("/api/courses", json=body, headers=teacher["headers"])
    assert created.status_code == 201 and created.json["course"]["instructor"]["id"] == teacher["id"]
    assert created.json["course"]["is_published"] is False
    course_id = created.json["course"]["id"]
    assert client.patch(f"/api/courses/{course_id}", json={"title": "Mine now"}, headers=other["headers"]).status_code == 403
    published = client.patch(f"/api/courses/{course_id}", json={"is_published": True}, headers=teacher["headers"])
    assert published.json["course"]["is_published"] is True
    assert client.patch(f"/api/courses/{course_id}", json={"price": 0}, headers=admin["headers"]).json["course"]["price"] == 0
    assert client.post("/api/courses", json={"title": ""}, headers=teacher["headers"]).status_code == 400
    assert client.post("/api/courses", json=body).status_code == 401


def test_lesson_progress_upserts_rolls_up_and_awards_once(client, db, course):
    learner = make_account(db)
    first = course.lessons(0)[0]
    response = client.post("/api/progress", headers=learner["headers"], json={
        "lessonId": first, "courseId": course.course_id, "completionPercentage": 40, "timeSpent": 120,
        "sectionProgress": {"intro": True}})
    assert response.status_code == 200
    assert response.json["progress"]["completion_percentage"] == 40 and response.json["progress"]["completed_at"] is None
    assert response.json["achievements"] == []
    done = client.post("/api/progress", headers=learner["headers"], json={
        "lessonId": first, "courseId": course.course_id, "completionPercentage": 100, "timeSpent": 300}).json
    assert done["progress"]["completed_at"] is not None and done["progress"]["time_spent_seconds"] == 300
    assert done["progress"]["section_progress"] == {"intro": True}
    assert done["course"]["progressPercentage"] == 33
    assert [a["title"] for a in done["achievements"]] == ["First steps"]
    again = client.post("/api/progress", headers=learner["headers"], json={
        "lessonId": first, "completionPercentage": 100}).json
    assert again["achievements"] == [], "an achievement is awarded once"
    assert client.get("/api/me", headers=learner["headers"]).json["points"] == 10
    mismatch = client.post("/api/progress", headers=learner["headers"], json={
        "lessonId": first, "courseId": str(uuid.uuid4()), "completionPercentage": 10})
    assert mismatch.status_code == 400


def test_quiz_attempts_pass_at_seventy_percent_and_retries_count_once(client, db, course):
    learner = make_account(db)
    lesson = course.lessons(0)[1]
    failed = client.post(f"/api/quizzes/{lesson}/attempts", json={"score": 6, "maxScore": 10, "answers": [1]}, headers=learner["headers"])
    assert failed.status_code == 201 and failed.json["attempt"]["isPassed"] is False
    headers = {**learner["headers"], "Idempotency-Key": "quiz-try-2"}
    passed = [client.post(f"/api/quizzes/{lesson}/attempts", json={"score": 7, "maxScore": 10, "answers": [2]}, headers=headers).json
              for _ in range(2)]
    assert passed[0] == passed[1] and passed[0]["attempt"]["isPassed"] is True
    assert [a["title"] for a in passed[0]["achievements"]] == ["Quiz whiz"]
    count = db.execute("select count(*) from quiz_attempts where learner_id = %s", (learner["id"],)).fetchone()[0]
    assert count == 2
    bad = client.post(f"/api/quizzes/{lesson}/attempts", json={"score": 11, "maxScore": 10, "answers": []}, headers=learner["headers"])
    assert bad.status_code == 400


def test_streaks_follow_the_time_zone_and_reset_after_a_gap(client, db, course):
    learner = make_account(db)
    client.patch("/api/me", json={"timeZone": "Pacific/Kiritimati"}, headers=learner["headers"])
    # A new zone takes over at the next midnight of the old one (UTC here): as if it had passed.
    # (Without this, between 10:00 and 24:00 UTC the days below were already "today" in UTC.)
    db.execute("update learners set time_zone_from = now() - interval '1 second' where id = %s", (learner["id"],))
    db.execute(
        "insert into learner_activity_days (learner_id, day) select %s, (now() at time zone 'Pacific/Kiritimati')::date - d"
        " from generate_series(1, 2) d", (learner["id"],))
    result = client.post("/api/progress", headers=learner["headers"], json={
        "lessonId": course.lessons(0)[0], "completionPercentage": 10}).json
    assert "Three-day streak" in [a["title"] for a in result["achievements"]]
    assert client.get("/api/me", headers=learner["headers"]).json["streakDays"] == 3

    gap = make_account(db)
    db.execute("insert into learner_activity_days (learner_id, day) values (%s, current_date - 3), (%s, current_date - 2)",
               (gap["id"], gap["id"]))
    client.post("/api/progress", headers=gap["headers"], json={"lessonId": course.lessons(0)[0], "completionPercentage": 10})
    assert client.get("/api/me", headers=gap["headers"]).json["streakDays"] == 1


def test_the_first_write_of_a_day_in_a_new_time_zone_records_that_day(client, db, course):
    """Later writes of a day stop at the learner's `last_active_on`: that must be the day in the
    zone in force, not the day the last write recorded in another zone."""
    learner = make_account(db)
    lesson = course.lessons(0)[0]

    def write(percent):
        client.post("/api/progress", headers=learner["headers"], json={"lessonId": lesson, "completionPercentage": percent})
        return db.execute("select array_agg(d.day order by d.day), l.last_active_on from learner_activity_days d"
                          " join learners l on l.id = d.learner_id where d.learner_id = %s group by l.last_active_on",
                          (learner["id"],)).fetchone()

    (utc_today,), _ = write(10)
    assert write(20) == ([utc_today], utc_today), "a second write the same day records nothing"
    # A zone in which today is another date than in UTC (one of the two is, at any hour).
    zone, zone_today = next(row for row in db.execute(
        "select z, (now() at time zone z)::date from unnest(array['Pacific/Kiritimati', 'Pacific/Pago_Pago']) z"
        " where (now() at time zone z)::date <> (now() at time zone 'UTC')::date").fetchall())
    db.execute("update learners set time_zone = %s, time_zone_from = now() - interval '1 second' where id = %s",
               (zone, learner["id"]))
    assert write(30) == (sorted([utc_today, zone_today]), max(utc_today, zone_today))
    assert write(40)[0] == sorted([utc_today, zone_today])


def test_notifications_are_read_by_their_learner_only(client, db, course):
    learner, other = make_account(db), make_account(db)
    client.post("/api/progress", headers=learner["headers"], json={"lessonId": course.lessons(0)[0], "completionPercentage": 100})
    inbox = client.get("/api/notifications", headers=learner["headers"]).json
    assert inbox["unread"] == 1 and inbox["notifications"][0]["type"] == "achievement"
    note = inbox["notifications"][0]["id"]
    assert client.post(f"/api/notifications/{note}/read", headers=other["headers"]).status_code == 404
    assert client.post(f"/api/notifications/{note}/read", headers=learner["headers"]).json == {"id": note, "read": True}
    assert client.get("/api/notifications", headers=learner["headers"]).json["unread"] == 0
    assert client.post("/api/notifications/abc/read", headers=learner["headers"]).status_code == 400


def test_enrollment_count_and_average_rating_are_exact_under_concurrency(app, db, course):
    learners = [make_account(db) for _ in range(20)]
    ratings = [1 + i % 5 for i in range(20)]

    def enroll_and_rate(index):
        with app.test_client() as client:
            headers = learners[index]["headers"]
            client.post("/api/enrollments", json={"courseId": course.course_id}, headers=headers)
            return client.post(f"/api/courses/{course.course_id}/ratings", json={"rating": ratings[index]}, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        assert set(pool.map(enroll_and_rate, range(20))) == {200}
    count, average, rated = db.execute(
        "select enrollment_count, average_rating, rating_count from courses where id = %s", (course.course_id,)).fetchone()
    assert count == 20 and rated == 20
    assert float(average) == round(sum(ratings) / 20, 2)
    with app.test_client() as client:
        client.post(f"/api/courses/{course.course_id}/ratings", json={"rating": 5}, headers=learners[0]["headers"])
        assert client.post(f"/api/courses/{course.course_id}/ratings", json={"rating": 6},
                           headers=learners[0]["headers"]).status_code == 400
    assert db.execute("select rating_count from courses where id = %s", (course.course_id,)).fetchone()[0] == 20


def test_the_whole_journey(make_app, db, course):
    """Enroll, progress, quiz, course completed, achievements, points, notification, leaderboard."""
    client = make_app(LEADERBOARD_CACHE_SECONDS=0).test_client()
    learner = make_account(db, name="Journey Learner")
    # Reported time is bounded by the wall clock: this learner has been around for a while.
    db.execute("update learners set created_at = now() - interval '3 hours' where id = %s", (learner["id"],))
    headers = learner["headers"]
    assert client.post("/api/enrollments", json={"courseId": course.course_id}, headers=headers).status_code == 201
    earned = []
    for index, lesson in enumerate(course.lessons(0) + course.lessons(1)):
        earned += client.post("/api/progress", headers=headers, json={
            "lessonId": lesson, "courseId": course.course_id, "completionPercentage": 100,
            "timeSpent": 3_700 if index == 0 else 60}).json["achievements"]
    earned += client.post(f"/api/quizzes/{course.lessons(1)[0]}/attempts", headers=headers,
                          json={"score": 9, "maxScore": 10, "answers": []}).json["achievements"]
    titles = {a["title"] for a in earned}
    assert {"First steps", "Course finisher", "Hour of learning", "Quiz whiz"} <= titles
    me = client.get("/api/me", headers=headers).json
    assert me["points"] == 10 + 100 + 25 + 20
    types = [n["type"] for n in client.get("/api/notifications", headers=headers).json["notifications"]]
    assert "course_completion" in types and types.count("achievement") == 4
    board = client.get("/api/leaderboard").json["leaders"]
    assert any(row["username"] == me["profile"]["username"] and row["points"] == me["points"] for row in board)
    listed = {a["title"]: a["earned"] for a in client.get("/api/achievements", headers=headers).json["achievements"]}
    assert listed["Course finisher"] is True and listed["Ten down"] is False
