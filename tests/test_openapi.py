"""The API document: generated from the code, committed and served. (schemathesis fuzzes the live
app against it in `make test`: see devstack.)"""

from __future__ import annotations

from blueprints import openapi


def test_the_committed_document_is_the_generated_one(app):
    assert openapi.COMMITTED.read_text() == openapi.render(app), (
        "openapi.json is out of date: regenerate it with `make openapi`"
    )


def test_every_route_is_documented_with_its_errors(client):
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    save = spec["paths"]["/api/progress/save"]["post"]
    assert {"200", "400", "401", "403", "404", "409", "413", "415", "422", "429", "503"} <= set(save["responses"])
    assert save["security"] == [{"bearerAuth": []}]
    assert "get" in spec["paths"]["/v1/tutorials/progress/{tutorial_id}"]
    page = client.get("/docs")
    assert page.status_code == 200 and b"/api/progress/save" in page.data
