"""Seed 002: tutorial progress, quiz scores, certificates; catalog-known and unknown tutorials."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.catalogs import course_tree, import_course, new_id

BASE = "/v1/tutorials/progress"


def unknown_tutorial() -> str:
    return f"test-tutorial-{uuid.uuid4().hex[:8]}"


def chapter(client, learner, tutorial, **body):
    return client.post(f"{BASE}/{tutorial}/chapter", json=body, headers=learner["headers"])


def quiz(client, learner, tutorial, headers=None, **body):
    return client.post(f"{BASE}/{tutorial}/quiz", json=body, headers={**learner["headers"], **(headers or {})})


def test_the_seeds_integration_flow_as_written(client, browser_learner):
    tutorial, headers = unknown_tutorial(), browser_learner["headers"]
    response = client.get(f"{BASE}/{tutorial}", headers=headers)
    assert response.json["completionPercentage"] == 0

    response = chapter(client, browser_learner, tutorial, chapterId="chapter-1", watchTime=300, completed=True, totalChapters=2)
    assert response.json["completionPercentage"] == 50

    response = chapter(client, browser_learner, tutorial, chapterId="chapter-2", watchTime=250, completed=True, totalChapters=2)
    assert response.json["completionPercentage"] == 100
    assert response.json["certificateEligible"] is True

    response = client.post(f"{BASE}/{tutorial}/complete", headers=headers)
    assert response.json["certificateEarned"] is True


def test_default_body_when_nothing_is_stored(client, browser_learner):
    tutorial = unknown_tutorial()
    body = client.get(f"{BASE}/{tutorial}", headers=browser_learner["headers"]).json
    assert body == {
        "tutorialId": tutorial, "userId": browser_learner["id"], "completionPercentage": 0, "chaptersCompleted": 0,
        "totalChapters": 0, "chapterProgress": [], "quizScores": [], "certificateEligible": False,
        "certificateEarned": False, "certificateId": None, "totalWatchTime": 0, "lastWatchedAt": None,
    }


def test_watch_time_never_decreases_and_total_chapters_never_shrinks(client, browser_learner):
    tutorial = unknown_tutorial()
    chapter(client, browser_learner, tutorial, chapterId="c1", watchTime=300, lastPosition=280, totalChapters=4)
    body = chapter(client, browser_learner, tutorial, chapterId="c1", watchTime=100, lastPosition=90, totalChapters=2).json
    assert body["chapterProgress"] == [{"chapterId": "c1", "watchTime": 300, "completed": False, "lastPosition": 90}]
    assert body["totalChapters"] == 4 and body["totalWatchTime"] == 300 and body["lastWatchedAt"].endswith("Z")


def test_quiz_keeps_the_best_score_and_counts_attempts(client, browser_learner):
    tutorial = unknown_tutorial()
    quiz(client, browser_learner, tutorial, quizId="q1", score=4, maxScore=10, passed=False)
    body = quiz(client, browser_learner, tutorial, quizId="q1", score=8, maxScore=10, passed=True).json
    body = quiz(client, browser_learner, tutorial, quizId="q1", score=6, maxScore=10, passed=True).json
    [score] = body["quizScores"]
    assert (score["score"], score["attempts"], score["passed"]) == (8, 3, True)


def test_a_failed_quiz_blocks_the_certificate(client, browser_learner):
    tutorial = unknown_tutorial()
    chapter(client, browser_learner, tutorial, chapterId="c1", watchTime=10, completed=True, totalChapters=1)
    body = quiz(client, browser_learner, tutorial, quizId="q1", score=2, maxScore=10, passed=False).json
    assert body["completionPercentage"] == 100 and body["certificateEligible"] is False
    refused = client.post(f"{BASE}/{tutorial}/complete", headers=browser_learner["headers"])
    assert refused.status_code == 400 and refused.json["error"] == "Not eligible for certificate."


def test_errors_of_the_seed(client, browser_learner):
    tutorial = unknown_tutorial()
    out_of_range = quiz(client, browser_learner, tutorial, quizId="q", score=11, maxScore=10, passed=True)
    assert out_of_range.status_code == 400 and "score" in out_of_range.json["details"]["fields"]
    assert quiz(client, browser_learner, tutorial, quizId="q", score=-1, maxScore=10, passed=True).status_code == 400
    missing = chapter(client, browser_learner, tutorial, watchTime=10)
    assert missing.status_code == 400 and "chapterId" in missing.json["details"]["fields"]
    assert quiz(client, browser_learner, tutorial, quizId="q", score=1, maxScore=10).status_code == 400
    no_progress = client.post(f"{BASE}/{unknown_tutorial()}/complete", headers=browser_learner["headers"])
    assert no_progress.status_code == 404
    assert client.get(f"{BASE}/{tutorial}?userId=user-123", headers=browser_learner["headers"]).status_code == 403
    assert client.get(f"{BASE}/{tutorial}").status_code == 401


def test_retried_quiz_submissions_count_once_under_concurrency(app, browser_learner):
    tutorial = unknown_tutorial()
    body = {"quizId": "q1", "score": 7, "maxScore": 10, "passed": True}

    def submit(_):
        with app.test_client() as client:
            response = quiz(client, browser_learner, tutorial, headers={"Idempotency-Key": "attempt-1"}, **body)
            return response.status_code, response.json

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(submit, range(8)))
    ok = [json for status, json in results if status == 200]
    assert all(status in (200, 409) for status, _ in results)
    assert ok and all(json == ok[0] for json in ok), "a retry returns the same response"
    with app.test_client() as client:
        state = client.get(f"{BASE}/{tutorial}", headers=browser_learner["headers"]).json
        assert state["quizScores"][0]["attempts"] == 1
        reused = quiz(client, browser_learner, tutorial, headers={"Idempotency-Key": "attempt-1"}, **{**body, "score": 9})
        assert reused.status_code == 422
        by_attempt_id = [quiz(client, browser_learner, tutorial, attemptId="a-2", **body).json for _ in range(2)]
        assert by_attempt_id[0] == by_attempt_id[1]
        assert client.get(f"{BASE}/{tutorial}", headers=browser_learner["headers"]).json["quizScores"][0]["attempts"] == 2


@pytest.fixture
def catalog_tutorial(app):
    course = course_tree((2,))
    course.modules[0]["lessons"][0]["durationSeconds"] = 600
    course.modules[0]["lessons"][1]["exercises"] = [
        {"id": new_id(), "slug": "quiz", "title": "Quiz", "kind": "quiz", "maxScore": 10, "passMark": 0.7}
    ]
    import_course(app, course)
    return course


def test_a_catalog_tutorial_writes_the_shared_rows_and_the_catalog_count_wins(client, browser_learner, catalog_tutorial):
    course, headers = catalog_tutorial, browser_learner["headers"]
    first, second = course.lessons(0)
    body = chapter(client, browser_learner, course.course_id, chapterId=first, watchTime=100, totalChapters=10).json
    assert body["totalChapters"] == 2 and body["completionPercentage"] == 0
    body = chapter(client, browser_learner, course.course_id, chapterId=first, watchTime=580).json
    assert body["chaptersCompleted"] == 1, "95 % of the catalog duration completes the chapter"
    module = client.get(f"/api/progress/modules/{course.module_id(0)}", headers=headers).json
    assert module["completedCount"] == 1, "chapter progress is lesson progress"
    client.post(f"/api/progress/lessons/{second}", headers=headers)
    body = client.get(f"{BASE}/{course.course_id}", headers=headers).json
    assert body["completionPercentage"] == 100
    assert body["certificateEligible"] is False, "the catalog's quiz is not passed yet"
    quiz_id = course.lesson(0, 1)["exercises"][0]["id"]
    failed = quiz(client, browser_learner, course.course_id, quizId=quiz_id, score=6, maxScore=10, passed=True).json
    assert failed["quizScores"][0]["passed"] is False, "the catalog's pass mark (70 %) overrides the client"
    passed = quiz(client, browser_learner, course.course_id, quizId=quiz_id, score=7, maxScore=10, passed=False).json
    assert passed["quizScores"][0]["passed"] is True and passed["certificateEligible"] is True
    unknown_chapter = chapter(client, browser_learner, course.course_id, chapterId="chapter-9", watchTime=1)
    assert unknown_chapter.status_code == 404


def test_a_catalog_tutorial_is_found_by_slug_or_id_in_any_case(client, browser_learner, catalog_tutorial, db):
    course, headers = catalog_tutorial, browser_learner["headers"]
    first, second = course.lessons(0)
    slug = course.tree["themes"][0]["courses"][0]["slug"]
    body = chapter(client, browser_learner, course.course_id.upper(), chapterId=first.upper(), watchTime=30).json
    assert (body["tutorialId"], body["totalChapters"]) == (course.course_id.upper(), 2)
    assert client.get(f"{BASE}/{slug}", headers=headers).json["chapterProgress"] == body["chapterProgress"]
    assert [c["chapterId"] for c in body["chapterProgress"]] == [first]
    # Progress in another course is not this tutorial's; a uuid that is no chapter of it is a 404.
    other = course_tree((1,))
    import_course(client.application, other)
    client.post(f"/api/progress/lessons/{other.lessons(0)[0]}", headers=headers)
    assert client.get(f"{BASE}/{course.course_id}", headers=headers).json["chapterProgress"] == body["chapterProgress"]
    assert chapter(client, browser_learner, slug, chapterId=other.lessons(0)[0], watchTime=1).status_code == 404
    assert db.execute("select count(*) from courses where external_key = any(%s)",
                      ([course.course_id.upper(), slug],)).fetchone()[0] == 0, "no tutorial course of its own"


def test_reset_keeps_quiz_history_and_certificates(client, browser_learner, account, db):
    db.execute("update auth.users set raw_user_meta_data = '{\"full_name\": \"Ada Lovelace\"}' where id = %s", (account["id"],))
    tutorial = unknown_tutorial()
    chapter(client, account, tutorial, chapterId="c1", watchTime=10, completed=True, totalChapters=1)
    quiz(client, account, tutorial, quizId="q1", score=9, maxScore=10, passed=True)
    earned = client.post(f"{BASE}/{tutorial}/complete", headers=account["headers"]).json
    certificate_id = earned["certificateId"]
    reset = client.delete(f"{BASE}/{tutorial}", headers=account["headers"])
    assert reset.status_code == 200 and reset.json["success"] is True
    body = client.get(f"{BASE}/{tutorial}", headers=account["headers"]).json
    assert body["completionPercentage"] == 0 and body["quizScores"] == [] and body["chapterProgress"] == []
    assert body["certificateEarned"] is True and body["certificateId"] == certificate_id
    attempts = db.execute("select count(*) from quiz_attempts where learner_id = %s", (account["id"],)).fetchone()[0]
    assert attempts == 1, "the attempt history is kept"

    verified = client.get(f"/v1/certificates/{certificate_id}").json
    # A tutorial the catalog does not know: verifiable as issued, never as a verified course.
    assert verified["status"] == "self-declared" and verified["valid"] is False
    assert verified["learnerName"] == "Ada Lovelace"
    assert verified["courseTitle"] == tutorial and verified["completedAt"].endswith("Z")
    assert set(verified) == {"certificateId", "valid", "status", "basis", "courseTitle", "learnerName", "holder",
                             "completedAt", "revokedAt"}
    page = client.get(f"/certificates/{certificate_id}")
    assert page.status_code == 200 and b"Ada Lovelace" in page.data
    db.execute("update certificates set revoked_at = now() where id = %s", (certificate_id,))
    assert client.get(f"/v1/certificates/{certificate_id}").json["status"] == "revoked"
    assert client.get(f"/v1/certificates/{uuid.uuid4()}").status_code == 404
    assert client.get("/v1/certificates/not-an-id").status_code == 400


def test_per_endpoint_rate_limits(make_app, browser_learner):
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_TUTORIAL_QUIZ="2 per minute").test_client()
    tutorial = unknown_tutorial()
    statuses = [quiz(client, browser_learner, tutorial, quizId="q", score=1, maxScore=2, passed=False).status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get(f"{BASE}/{tutorial}", headers=browser_learner["headers"]).status_code == 200
