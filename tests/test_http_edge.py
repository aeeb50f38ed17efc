"""The HTTP edge: every bad input a clear 4xx, exact rate limits, nothing leaked."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import psycopg
import pytest
import redis
from flask import after_this_request
from flask.json.provider import DefaultJSONProvider
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.http import parse_etags

from app import LearnerProgressApp
from blueprints.endpoints import if_none_match, loaded_query, query_as_loaded
from devstack.__main__ import app_command
from devstack.stack import ROOT, free_port
from schemas.progress import CourseQuerySchema
from services.errors import ValidationFailed
from tests.catalogs import course_tree, import_course
from tests.conftest import bearer
from tests.test_platform import make_account


@pytest.fixture(scope="module")
def course(app):
    course = course_tree((2,))
    import_course(app, course)
    return course


def register(client) -> dict:
    user_id = str(uuid.uuid4())
    return {"id": user_id, "headers": bearer(client.post("/api/learners", json={"userId": user_id}).json["token"])}


def assert_common_shape(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.json) == {"error", "code", "status", "details", "requestId"}


# ----- bad input that reached the database or answered 5xx ---------------------------------------
NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e309"]


@pytest.mark.parametrize("number", NON_FINITE)
def test_non_finite_numbers_anywhere_in_a_body_are_400(client, course, number):
    learner = register(client)
    lesson = course.lessons(0)[0]
    cases = [
        ("/api/progress/update", '{"contentId": "%s", "contentType": "lesson", "status": "in-progress", '
                                 '"data": {"x": [%s]}}' % (lesson, number)),
        ("/api/progress", '{"lessonId": "%s", "completionPercentage": 10, "sectionProgress": {"a": %s}}' % (lesson, number)),
        (f"/api/quizzes/{lesson}/attempts", '{"score": 1, "maxScore": 2, "answers": [%s]}' % number),
    ]
    for path, body in cases:
        response = client.post(path, data=body, content_type="application/json", headers=learner["headers"])
        assert_common_shape(response, 400)
        assert response.json["code"] == "non_finite_number", path


@pytest.mark.parametrize("tutorial", ["eq.x", "like.this", "in.(a,b)", "not.is.null", "or=(a.eq.1)"])
def test_values_that_look_like_filters_are_data(client, tutorial):
    learner = register(client)
    written = client.post(f"/v1/tutorials/progress/{tutorial}/chapter", headers=learner["headers"],
                          json={"chapterId": "c1", "watchTime": 1, "completed": True, "totalChapters": 1})
    assert written.status_code == 200, written.json
    read = client.get(f"/v1/tutorials/progress/{tutorial}", headers=learner["headers"])
    assert read.status_code == 200 and read.json["tutorialId"] == tutorial and read.json["chaptersCompleted"] == 1


@pytest.mark.parametrize("search", ["eq.x", "like.*", "in.(a,b)"])
def test_course_search_for_filter_shaped_text_is_an_empty_list(client, search):
    response = client.get("/api/courses", query_string={"search": search})
    assert response.status_code == 200 and response.json["courses"] == []


RAISED = [  # SQLSTATE a function raises -> status the client gets
    ("23502", 400), ("23514", 400), ("23505", 409), ("22012", 400), ("22P02", 400),
    ("40001", 503), ("40P01", 503), ("08006", 503), ("57P01", 503), ("57014", 503),
    ("42703", 500), ("XX000", 500),
]


@pytest.fixture(scope="module")
def raising_function(stack):
    """A function that raises the SQLSTATE it is given (for this test module only)."""
    with psycopg.connect(stack.superuser_url, autocommit=True) as conn:
        conn.execute("""
          create function public.test_raise(p_sqlstate text) returns void language plpgsql as $$
          begin raise exception 'the database''s own words: relation "secret_table"' using errcode = p_sqlstate; end $$;
          grant execute on function public.test_raise(text) to service_role;
          notify pgrst, 'reload schema';""")
    time.sleep(0.5)
    yield
    with psycopg.connect(stack.superuser_url, autocommit=True) as conn:
        conn.execute("drop function public.test_raise(text); notify pgrst, 'reload schema';")


@pytest.mark.parametrize("sqlstate,status", RAISED)
def test_errors_are_classified_by_sqlstate_class_and_say_nothing_of_the_database(app, raising_function, sqlstate, status):
    from services.errors import ServiceError
    from services.supabase import rpc

    with app.test_request_context():
        with pytest.raises(ServiceError) as raised:
            rpc("test_raise", sqlstate=sqlstate)
    error = raised.value
    assert error.status == status, (sqlstate, error.status)
    assert "secret_table" not in error.message and "sqlstate" not in error.details
    assert (status == 503) == ("Retry-After" in _render(app, error).headers)


def _render(app, error):
    from blueprints.errors import handle_service_error

    with app.test_request_context():
        return handle_service_error(error)


def test_constraint_names_never_reach_clients(client, db):
    first, second = make_account(db), make_account(db)
    taken = client.get("/api/me", headers=first["headers"]).json["profile"]["username"]
    response = client.patch("/api/me", json={"username": taken}, headers=second["headers"])
    assert_common_shape(response, 409)
    text = response.get_data(as_text=True)
    assert "duplicate key" not in text and "profiles_username_key" not in text and "sqlstate" not in text


# ----- the app under the server `make run` uses --------------------------------------------------
@contextmanager
def served(stack, workers: int = 1, threads: int = 4, **settings: str):
    """The app under the server `make run` uses, with these settings, once it answers; stopped
    after, and given 20 s to stop (then killed, and the test fails)."""
    port = free_port()
    process = subprocess.Popen(app_command(port, workers=workers, threads=threads), cwd=ROOT,
                               env={**os.environ, **stack.env(), **settings}, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield process, base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise


# ----- bodies over the limit, however they are sent -----------------------------------------------
@pytest.fixture(scope="module")
def live_api(stack):
    with served(stack, MAX_CONTENT_LENGTH="2048", RATELIMIT_ENABLED="false") as (_, base):
        yield base


def test_a_chunked_body_over_the_limit_is_413_not_truncated(live_api):
    learner_id = str(uuid.uuid4())
    body = ('{"userId": "%s", "padding": "%s"}' % (learner_id, "x" * 4096)).encode()

    def chunks():
        for start in range(0, len(body), 512):
            yield body[start:start + 512]

    response = httpx.post(f"{live_api}/api/learners", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
    small = httpx.post(f"{live_api}/api/learners", content=iter([b'{"userId": "%s"}' % learner_id.encode()]),
                       headers={"Content-Type": "application/json"})
    assert small.status_code == 201


# ----- rate limits that mean what they say ---------------------------------------------------------
def test_limits_hold_across_two_workers_with_the_shared_store(stack):
    with redis.Redis.from_url(stack.redis_url) as store:
        store.flushdb()  # a fresh window for this address
    with served(stack, workers=2, threads=2, RATELIMIT_ENABLED="true", RATELIMIT_WRITE="5 per minute",
                RATELIMIT_STORAGE_URI=stack.redis_url) as (_, base):
        # One client address, fresh connections: requests land on both workers.
        statuses = [httpx.post(f"{base}/api/learners", json={"userId": str(uuid.uuid4())},
                               headers={"Connection": "close"}).status_code for _ in range(6)]
    assert statuses == [201] * 5 + [429]


def test_the_server_stops_even_when_a_worker_misses_its_stop_signal(stack):
    """granian waits for every worker to stop. One worker here once never acted on its SIGTERM
    (its main thread waiting for a shutdown event that never came), and held the server and a
    test run forever. A stopped worker plays that part: the server kills it after
    --workers-kill-timeout (8 s) and stops in seconds."""
    with served(stack, workers=2) as (process, _):
        workers = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
        os.kill(int(workers[0]), signal.SIGSTOP)
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 12


def test_health_answers_from_a_one_second_cache(make_app, stack):
    client = make_app().test_client()
    gateway_log = stack.root / "logs" / "nginx-access.log"
    before = gateway_log.read_text().count("rpc/service_health")
    started = time.monotonic()
    statuses = [client.get("/health").status_code for _ in range(50)]
    elapsed = time.monotonic() - started
    assert statuses == [200] * 50
    calls = gateway_log.read_text().count("rpc/service_health") - before
    assert calls <= int(elapsed) + 1, f"{calls} database calls for 50 probes in {elapsed:.2f} s"


# ----- what a response carries -----------------------------------------------------------------------
def test_every_response_says_nosniff_and_caller_dependent_ones_no_store(client, course):
    learner = register(client)
    own = client.get("/api/progress/summary", headers=learner["headers"])
    assert own.headers["X-Content-Type-Options"] == "nosniff" and own.headers["Cache-Control"] == "no-store"
    public = client.get("/api/courses")
    assert public.headers["X-Content-Type-Options"] == "nosniff" and "no-store" not in public.headers.get("Cache-Control", "")
    assert client.get("/no/such/page").headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/demo", "/docs"])
def test_html_pages_carry_a_content_security_policy(client, course, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy


def test_answers_without_a_page_carry_no_page_policy(make_app, course):
    """The policy says what an HTML page may load. A 304 to a polling device and a CORS
    preflight's 204 carry no page: each got the policy anyway, with a fresh random nonce."""
    client = make_app(CORS_ORIGINS="https://app.example").test_client()
    learner = register(client)
    path = f"/api/progress?courseId={course.course_id}"
    etag = client.get(path, headers=learner["headers"]).headers["ETag"]
    polled = client.get(path, headers={**learner["headers"], "If-None-Match": etag})
    preflight = client.options("/api/progress/save", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert (polled.status_code, preflight.status_code) == (304, 204)
    assert "Content-Security-Policy" not in polled.headers and "Content-Security-Policy" not in preflight.headers


def test_demo_scripts_run_under_their_nonce(client, course):
    page = client.get(f"/demo/{course.course_id}")
    nonce = page.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in page.get_data(as_text=True)


def test_retry_after_only_on_429_and_503(make_app):
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    response = client.post("/api/learners", json={"userId": str(uuid.uuid4())})
    assert response.status_code == 201 and "Retry-After" not in response.headers


def test_metrics_are_served_only_with_the_configured_token(make_app):
    assert make_app().test_client().get("/metrics").status_code == 404, "no token configured: not served"
    client = make_app(METRICS_TOKEN="scrape-secret").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"}).status_code == 200


def test_learner_ids_never_reach_the_gateways_log(client, stack, course):
    learner = register(client)
    client.get(f"/api/progress?courseId={course.course_id}", headers=learner["headers"])
    client.get("/api/progress/summary", headers=learner["headers"])
    client.get(f"/v1/tutorials/progress/{course.course_id}", headers=learner["headers"])
    log = (stack.root / "logs" / "nginx-access.log").read_text()
    assert "/rest/v1/rpc/" in log and learner["id"] not in log


def test_the_local_stack_points_the_app_at_its_redis(stack):
    assert stack.env()["RATELIMIT_STORAGE_URI"] == stack.redis_url


def test_answers_are_written_by_orjson_and_mean_what_flask_would_write(app):
    """The faster encoder writes the same JSON: values it does not encode itself (dates, Decimal)
    follow Flask's own rules, and what orjson refuses (an integer beyond 64 bits, a lone
    surrogate) is written by the standard library."""
    value = {"when": datetime(2026, 12, 3, 10, tzinfo=UTC), "amount": Decimal("1.50"), "id": uuid.UUID(int=1),
             "name": "Café ✓", "nested": {"n": None, "ok": True, "times": [1.5, 2]}}
    with app.app_context():
        body = app.json.response(value).get_data()
        standard = DefaultJSONProvider(app).response(value).get_data()
        huge = app.json.response({"n": 2**70}).get_data()
        surrogate = app.json.response({"s": "\ud800"}).get_data()
        standard_surrogate = DefaultJSONProvider(app).response({"s": "\ud800"}).get_data()
    assert json.loads(body) == json.loads(standard)
    assert json.loads(body)["when"] == "Thu, 03 Dec 2026 10:00:00 GMT"
    assert "Café ✓".encode() in body, "orjson writes UTF-8 where the standard library writes escapes"
    assert json.loads(huge) == {"n": 2**70}
    assert surrogate == standard_surrogate == b'{"s":"\\ud800"}\n'


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(['"', '"', ",", " ", "W/", "w/", "*", "a", "7f", "-"]), max_size=10).map("".join))
def test_if_none_match_reads_any_header_as_werkzeug_does(app, header):
    """The usual header, one quoted tag, is read without werkzeug's parser; every header reads
    as that parser reads it (the first strong tag, none for a weak tag, a list's first, `*`)."""
    tags = parse_etags(header)
    with app.test_request_context(headers={"If-None-Match": header}):
        assert if_none_match() == (next(iter(tags), None) if tags else None)


def test_the_app_asks_once_whether_its_own_functions_are_plain_and_keeps_a_bounded_table():
    app = LearnerProgressApp(__name__)
    done = []

    @app.get("/")
    def view():
        @after_this_request
        def note(response):  # a function made for this request only
            done.append(1)
            return response

        return "ok"

    client = app.test_client()
    for _ in range(LearnerProgressApp.KEPT_ANSWERS + 50):
        assert client.get("/").data == b"ok"
    assert len(done) == LearnerProgressApp.KEPT_ANSWERS + 50, "every request's own function ran"
    assert view in app.synced
    assert len(app.synced) == LearnerProgressApp.KEPT_ANSWERS


def test_a_query_string_is_loaded_once_and_a_bad_one_is_refused_every_time(app, client, course):
    schema, good = CourseQuerySchema(), f"courseId={course.course_id}".encode()
    with app.test_request_context(f"/?{good.decode()}"):
        first = loaded_query(schema)
        first["courseId"] = "changed by a view"  # each view gets its own copy
        hits = query_as_loaded.cache_info().hits
        assert loaded_query(schema) == {"courseId": uuid.UUID(course.course_id)}
        assert query_as_loaded.cache_info().hits == hits + 1
    for _ in range(2):
        with app.test_request_context("/?courseId=7"), pytest.raises(ValidationFailed):
            loaded_query(schema)
    learner = register(client)
    for _ in range(2):
        assert client.get(f"/api/progress/course_summary?{good.decode()}", headers=learner["headers"]).status_code == 200
        refused = client.get("/api/progress/course_summary?courseId=7", headers=learner["headers"])
        assert refused.status_code == 400 and "courseId" in refused.json["details"]["fields"]
