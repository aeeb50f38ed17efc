"""Faults: PostgREST or PostgreSQL down under load, rate-limit storage unreachable, and many
concurrent clients. Short runs here; FAULT_SECONDS=30 make test for the long ones."""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.catalogs import course_tree, import_course
from tests.conftest import bearer

SECONDS = float(os.environ.get("FAULT_SECONDS", "3"))


def register(client):
    user_id = str(uuid.uuid4())
    return {"id": user_id, "headers": bearer(client.post("/api/learners", json={"userId": user_id}).json["token"])}


def completed(db, learner_id) -> set[str]:
    rows = db.execute("select lesson_id from lesson_progress where learner_id = %s and completed_at is not null", (learner_id,))
    return {str(row[0]) for row in rows.fetchall()}


def hammer(app, learner, lessons, outage):
    """Mark lessons from 8 threads while `outage()` runs; return [(lesson, status, retry_after)]."""
    results, stop, counter = [], threading.Event(), itertools.count()

    def worker():
        with app.test_client() as client:
            while not stop.is_set():
                lesson = lessons[next(counter) % len(lessons)]
                response = client.post(f"/api/progress/lessons/{lesson}", headers=learner["headers"])
                results.append((lesson, response.status_code, response.headers.get("Retry-After")))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        outage()
    finally:
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join()
    return results


def assert_outage_handled(results, db, learner_id):
    statuses = {status for _, status, _ in results}
    assert 500 not in statuses and statuses <= {200, 503}, statuses
    assert 503 in statuses, "the outage was seen"
    assert all(retry for _, status, retry in results if status == 503), "every 503 says when to retry"
    acknowledged = {lesson for lesson, status, _ in results if status == 200}
    assert acknowledged <= completed(db, learner_id), "every 2xx is in the database"
    assert results[-1][1] == 200, "the service recovered without a restart"


def test_postgrest_stopped_during_writes(app, stack, db):
    course = course_tree((400,))
    import_course(app, course)
    with app.test_client() as client:
        learner = register(client)

    def outage():
        time.sleep(0.3)
        stack.stop_postgrest()
        time.sleep(min(SECONDS, 1.0))
        stack.start_postgrest()

    assert_outage_handled(hammer(app, learner, course.lessons(0), outage), db, learner["id"])


def test_postgresql_stopped_and_restarted_during_writes(app, stack, db):
    course = course_tree((400,))
    import_course(app, course)
    with app.test_client() as client:
        learner = register(client)

    def outage():
        time.sleep(0.3)
        stack.stop_postgres()
        time.sleep(min(SECONDS, 1.0))
        stack.start_postgres()
        stack.restart_postgrest()

    db.close()
    results = hammer(app, learner, course.lessons(0), outage)
    import psycopg

    with psycopg.connect(stack.superuser_url, autocommit=True) as fresh:
        assert_outage_handled(results, fresh, learner["id"])


def test_unreachable_rate_limit_storage_falls_back_to_memory(make_app):
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1",
                      RATELIMIT_DEFAULT="3 per minute").test_client()
    statuses = [client.get("/api/progress/summary").status_code for _ in range(5)]
    assert 500 not in statuses
    assert statuses[:3] == [401, 401, 401] and statuses[3:] == [429, 429], "limits still hold, from memory"


def test_a_rate_limit_store_that_fails_mid_window_hands_counting_to_memory(make_app, stack):
    """The usual request is counted in the shared store by the app's own hook (extensions.py); a
    store that starts refusing it (here: a password set, connections dropped) is never a 500, and
    flask-limiter's check counts on in memory."""
    import redis

    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=stack.redis_url,
                      RATELIMIT_DEFAULT="4 per minute").test_client()
    token = bearer(client.post("/api/learners", json={"userId": str(uuid.uuid4())}).json["token"])
    counted_in_store = [client.get("/api/identity", headers=token).status_code for _ in range(2)]
    store = redis.Redis.from_url(stack.redis_url, single_connection_client=True)
    try:
        store.config_set("requirepass", "locked-out")
        store.client_kill_filter(_type="normal", skipme=True)
        counted_in_memory = [client.get("/api/identity", headers=token).status_code for _ in range(5)]
    finally:
        store.config_set("requirepass", "")
        store.close()
    assert counted_in_store == [200, 200]
    assert counted_in_memory == [200] * 4 + [429], "a fresh window in memory, and no 500"


def test_the_service_client_never_hands_a_request_a_connection_another_one_closes(app):
    """httpcore 1.0.9's pool closed an idle connection when it trimmed surplus keep-alive
    connections, or made room at its limit, even after handing that connection to a request that
    was about to use it (encode/httpcore#1110): the request read a closed socket (EBADF) and the
    API answered 503, about once in twenty runs of the 100 threads below. Each thread now keeps a
    connection of its own (services.transport), which no other thread closes or trims."""
    from services.supabase import rpc

    def call(_):
        with app.app_context():
            return rpc("service_health")["migration"]

    answers = []
    for _ in range(2):  # the second pool's threads close the connections of the first's, which ended
        with ThreadPoolExecutor(100) as pool:
            answers += pool.map(call, range(500))
    assert len(set(answers)) == 1 and answers[0]
    open_connections = app.extensions["supabase"].postgrest.session._transport.open
    assert len(open_connections) <= 101, "one connection per thread at most, and none of ended threads"


def test_the_service_client_keeps_no_cookie_an_upstream_sets(app):
    """httpx would read every answer into a cookie jar (355 000 instructions a call, though
    PostgREST sets none) and send what it kept back on every later call, for every learner."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class SetsACookie(BaseHTTPRequestHandler):
        def do_GET(self):
            body = (self.headers.get("Cookie") or "no cookie").encode()
            self.send_response(200)
            self.send_header("Set-Cookie", "session=abc; Path=/")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), SetsACookie)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        session = app.extensions["supabase"].postgrest.session
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        answers = [session.get(url) for _ in range(2)]
    finally:
        server.shutdown()
        server.server_close()
    assert answers[0].headers["Set-Cookie"] == "session=abc; Path=/", "the upstream did set one"
    assert answers[1].text == "no cookie" and not session.cookies


def test_many_concurrent_clients_lose_nothing_and_count_nothing_twice(app, db):
    """100 clients mix every write endpoint for one learner and one course; the final state is
    the one the acknowledged requests imply."""
    course = course_tree((6, 6))
    import_course(app, course)
    lessons = course.lessons(0) + course.lessons(1)
    with app.test_client() as client:
        learner = register(client)
    headers = learner["headers"]
    acked_lessons, acked_times, acked_attempts, statuses = set(), {}, set(), []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def client_loop(index):
        rng = random.Random(index)
        device, counters = f"device-{index}", {}
        with app.test_client() as client:
            while time.monotonic() < deadline:
                lesson = rng.choice(lessons)
                op = rng.randrange(6)
                if op == 0:
                    response = client.post(f"/api/progress/lessons/{lesson}", headers=headers)
                elif op == 1:
                    response = client.post("/api/progress/update", headers=headers,
                                           json={"contentId": lesson, "contentType": "lesson", "status": "completed"})
                elif op == 2:
                    counters[lesson] = counters.get(lesson, 0) + rng.randrange(1, 30)
                    response = client.post("/api/progress/save", headers=headers, json={
                        "courseId": course.course_id, "deviceId": device,
                        "progress": {"version": 1, "completedLessonIds": [lesson], "lessonTimes": dict(counters)}})
                    if response.status_code == 200:
                        with lock:
                            for timed, seconds in counters.items():
                                key = (device, timed)
                                acked_times[key] = max(acked_times.get(key, 0), seconds)
                elif op == 3:
                    response = client.post("/api/progress", headers=headers, json={"lessonId": lesson, "completionPercentage": 100})
                elif op == 4:
                    response = client.post(f"/v1/tutorials/progress/{course.course_id}/chapter", headers=headers,
                                           json={"chapterId": lesson, "watchTime": 5, "completed": True})
                else:
                    key = f"attempt-{uuid.uuid4()}"
                    quiz = {"quizId": "final", "score": 3, "maxScore": 4, "passed": True}
                    for _ in range(2):  # every attempt is retried once
                        response = client.post(f"/v1/tutorials/progress/{course.course_id}/quiz", headers={**headers, "Idempotency-Key": key}, json=quiz)
                    if response.status_code == 200:
                        with lock:
                            acked_attempts.add(key)
                with lock:
                    statuses.append(response.status_code)
                    if response.status_code == 200 and op != 5:
                        acked_lessons.add(lesson)

    with ThreadPoolExecutor(max_workers=100) as pool:
        list(pool.map(client_loop, range(100)))
    assert set(statuses) == {200}, set(statuses)
    assert completed(db, learner["id"]) == acked_lessons, "every acknowledged completion, and nothing else"
    stored_times = {(device, str(lesson)): seconds for device, lesson, seconds in db.execute(
        "select device_id, lesson_id, seconds from lesson_device_time where learner_id = %s", (learner["id"],)).fetchall()}
    assert stored_times == acked_times, "each device's largest acknowledged counter, never more"
    attempts = db.execute("select count(*) from quiz_attempts where learner_id = %s", (learner["id"],)).fetchone()[0]
    assert attempts == len(acked_attempts), "each attempt counted once despite its retry"
