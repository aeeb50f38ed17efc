"""One JSON error shape for every status the foundation produces."""

from __future__ import annotations

import uuid

import pytest

ERROR_KEYS = {"error", "code", "status", "details", "requestId"}


def assert_error(response, status: int, code: str | None = None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    assert set(response.json) == ERROR_KEYS
    assert response.json["status"] == status
    assert response.json["requestId"] == response.headers["X-Request-ID"]
    if code:
        assert response.json["code"] == code
    return response.json


def test_400_for_malformed_json(client):
    body = assert_error(
        client.post("/api/learners", data="{not json", content_type="application/json"), 400
    )
    assert body["code"] == "malformed_json"


def test_400_names_the_bad_field(client):
    body = assert_error(client.post("/api/learners", json={"userId": "nope"}), 400, "validation_failed")
    assert "userId" in body["details"]["fields"]
    body = assert_error(client.post("/api/learners", json={"userId": str(uuid.uuid4()), "x": 1}), 400)
    assert "x" in body["details"]["fields"]


def test_401_without_identity(client):
    assert_error(client.get("/api/identity"), 401, "unauthorized")


def test_403_when_user_id_names_someone_else(client, browser_learner):
    other = str(uuid.uuid4())
    assert_error(client.get(f"/api/identity?userId={other}", headers=browser_learner["headers"]), 403)
    ok = client.get(f"/api/identity?userId={browser_learner['id']}", headers=browser_learner["headers"])
    assert ok.status_code == 200


def test_404_and_405(client):
    assert_error(client.get("/no/such/route"), 404, "not_found")
    assert_error(client.delete("/health"), 405, "method_not_allowed")


def test_409_when_a_learner_registers_twice(client, browser_learner):
    body = assert_error(client.post("/api/learners", json={"userId": browser_learner["id"]}), 409)
    assert body["code"] == "learner_exists"


def test_409_when_the_uuid_is_a_supabase_account(client, account):
    assert_error(client.post("/api/learners", json={"userId": account["id"]}), 409, "learner_exists")


def test_413_for_a_body_over_the_limit(client, app):
    huge = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    assert_error(client.post("/api/learners", data=huge, content_type="application/json"), 413)


def test_415_for_a_body_that_is_not_json(client):
    assert_error(client.post("/api/learners", data="userId=1", content_type="text/plain"), 415)


def test_500_is_the_common_shape_without_a_stack_trace(make_app):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    body = assert_error(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in body["error"]


@pytest.mark.parametrize("mode,status", [("token", 201), ("open", 201), ("off", 403)])
def test_registration_follows_the_anonymous_mode(make_app, mode, status):
    client = make_app(ANONYMOUS_LEARNERS=mode).test_client()
    assert client.post("/api/learners", json={"userId": str(uuid.uuid4())}).status_code == status
