"""Metrics by route template, JSON logs without secrets, CORS from configuration."""

from __future__ import annotations

import json
import logging
import uuid

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


def test_one_json_log_line_per_request_with_a_learner_hash_and_no_secrets(client, browser_learner, caplog):
    token = browser_learner["headers"]["Authorization"].split()[1]
    with caplog.at_level(logging.INFO):
        client.get("/api/progress/summary", headers=browser_learner["headers"])
    [record] = [r for r in caplog.records if r.getMessage() == "request"]
    line = json.loads(JsonFormatter().format(record))
    assert line["route"] == "/api/progress/summary" and line["status"] == 200
    assert line["learner"] == learner_hash(browser_learner["id"]) and line["durationMs"] >= 0
    assert len(line["requestId"]) >= 16
    everything = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert browser_learner["id"] not in everything
    assert token not in everything and SERVICE_ROLE_KEY not in everything


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
