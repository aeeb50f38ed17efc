"""Health is ok only when the database answers through PostgREST."""

from __future__ import annotations

import time


def test_health_reports_the_latest_migration(client, db):
    latest = db.execute("select max(version) from supabase_migrations.schema_migrations").fetchone()[0]
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "migration": latest}


def test_health_is_503_with_retry_after_while_postgrest_is_down(make_app, stack):
    client = make_app().test_client()  # its own app: no healthy answer kept from an earlier probe
    stack.stop_postgrest()
    try:
        started = time.monotonic()
        response = client.get("/health")
        assert time.monotonic() - started < 2, "a fast 503, not a retried GET"
        assert response.status_code == 503
        assert response.headers["Retry-After"].isdigit()
        assert response.json["code"] == "unavailable"
        assert "Traceback" not in response.get_data(as_text=True)
    finally:
        stack.start_postgrest()
    assert client.get("/health").status_code == 200


def test_every_response_carries_a_request_id(client):
    assert len(client.get("/health").headers["X-Request-ID"]) >= 16
    echoed = client.get("/health", headers={"X-Request-ID": "trace-123"})
    assert echoed.headers["X-Request-ID"] == "trace-123"
    hostile = client.get("/health", headers={"X-Request-ID": "bad id; <script>"})
    assert hostile.headers["X-Request-ID"] != "bad id; <script>"
