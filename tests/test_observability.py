"""Metrics by route template, JSON logs without secrets, CORS from configuration."""

from __future__ import annotations

import json
import logging
import sys
import uuid
from datetime import datetime

import pytest
from flask import Response

from devstack.stack import SERVICE_ROLE_KEY
from observability import JsonFormatter, learner_hash


SCRAPER = {"Authorization": "Bearer scrape-secret"}


def test_metrics_are_labelled_by_route_template_and_status(make_app, browser_learner):
    client = make_app(METRICS_TOKEN="scrape-secret").test_client()
    client.get(f"/api/progress/modules/{uuid.uuid4()}", headers=browser_learner["headers"])
    client.get("/no/such/path")
    text = client.get("/metrics", headers=SCRAPER).get_data(as_text=True)
    assert 'route="/api/progress/modules/<module_id>",status="404"' in text
    assert 'route="unmatched"' in text
    assert "http_request_duration_seconds_bucket" in text
    assert "upstream_errors_total" in text


def test_upstream_errors_are_counted(make_app, stack):
    client = make_app(METRICS_TOKEN="scrape-secret").test_client()

    def errors():
        for line in client.get("/metrics", headers=SCRAPER).get_data(as_text=True).splitlines():
            if line.startswith('upstream_errors_total{kind="postgrest"}'):
                return float(line.split()[-1])
        return 0.0

    before = errors()
    stack.stop_postgrest()
    try:
        assert client.get("/health").status_code == 503
    finally:
        stack.start_postgrest()
    assert errors() == before + 1


@pytest.fixture
def own_log():
    """An app made in the test logs to the test's stderr (its factory points the root logger
    there); later tests get the root logger's handlers back."""
    handlers = logging.getLogger().handlers
    yield
    logging.getLogger().handlers = handlers


def test_one_json_log_line_per_request_with_a_learner_hash_and_no_secrets(make_app, browser_learner, capsys, own_log):
    token = browser_learner["headers"]["Authorization"].split()[1]
    client = make_app(LOG_LEVEL="INFO").test_client()
    capsys.readouterr()
    client.get("/api/progress/summary", headers=browser_learner["headers"])
    written = capsys.readouterr().err
    [line] = [json.loads(text) for text in written.splitlines() if json.loads(text)["msg"] == "request"]
    assert line["level"] == "info" and line["logger"] == "learner_progress.requests"
    assert line["ts"].endswith("Z") and datetime.fromisoformat(line["ts"])
    assert line["route"] == "/api/progress/summary" and line["status"] == 200 and line["method"] == "GET"
    assert line["learner"] == learner_hash(browser_learner["id"]) and line["durationMs"] >= 0
    assert len(line["requestId"]) >= 16
    assert browser_learner["id"] not in written
    assert token not in written and SERVICE_ROLE_KEY not in written


def test_no_request_lines_above_info(make_app, browser_learner, capsys, own_log):
    client = make_app(LOG_LEVEL="WARNING").test_client()
    client.get("/api/progress/summary", headers=browser_learner["headers"])
    assert '"msg":"request"' not in capsys.readouterr().err


def test_a_log_that_cannot_be_written_does_not_fail_the_request(make_app, browser_learner, tmp_path, own_log):
    client = make_app(LOG_LEVEL="INFO").test_client()
    stream = open(tmp_path / "log", "w")
    logging.getLogger().handlers[0].setStream(stream)
    stream.close()
    assert client.get("/api/progress/summary", headers=browser_learner["headers"]).status_code == 200


def test_other_log_records_are_json_lines_too():
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.LogRecord("learner_progress.x", logging.ERROR, __file__, 1, "failed %s", ("here",),
                                   sys.exc_info())
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "error" and line["msg"] == "failed here" and "ValueError: broken" in line["error"]


def test_no_response_carries_the_service_key_or_the_callers_token(client, browser_learner):
    token = browser_learner["headers"]["Authorization"].split()[1]
    for method, path in [("get", "/api/identity"), ("get", "/api/progress/summary"), ("get", "/health"),
                         ("get", "/api/progress?courseId=nope"), ("post", "/api/progress/update"), ("get", "/metrics")]:
        body = getattr(client, method)(path, headers=browser_learner["headers"]).get_data(as_text=True)
        assert SERVICE_ROLE_KEY not in body and token not in body, path


def test_cors_only_for_configured_origins(make_app):
    client = make_app(CORS_ORIGINS="https://app.example").test_client()
    allowed = client.get("/health", headers={"Origin": "https://app.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example"
    other = client.get("/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options("/api/progress/save", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and "Idempotency-Key" in preflight.headers["Access-Control-Allow-Headers"]


def test_every_answer_varies_by_origin_and_keeps_a_vary_of_its_own(make_app, browser_learner):
    app = make_app()

    @app.get("/varies-by-language")
    def varies_by_language():
        return Response("hello", headers={"Vary": "Accept-Language"})

    client = app.test_client()
    assert client.get("/api/progress/summary", headers=browser_learner["headers"]).headers["Vary"] == "Origin"
    assert client.get("/varies-by-language").headers.get_all("Vary") == ["Accept-Language, Origin"]
