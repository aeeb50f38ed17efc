"""The design card's floor for `make bench`: Flask and supabase-py calling the same SQL functions
on the same paths as the API, and nothing else (no validation, limits, logs, metrics, token
cache or idempotency). Served by the same server as the API, it measures what the API's own
per-request work costs. Never part of the service."""

from __future__ import annotations

import os

import jwt
from flask import Flask, request
from supabase import ClientOptions, create_client

app = Flask(__name__)
client = create_client(os.environ["SUPABASE_URL"], os.environ["SUPABASE_SERVICE_ROLE_KEY"],
                       ClientOptions(auto_refresh_token=False, persist_session=False))
SECRET = os.environ["SUPABASE_JWT_SECRET"]


def learner() -> dict:
    token = request.headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="authenticated")
    return {"p_learner_id": claims["sub"], "p_learner_kind": "account"}


def call(function: str, **params):
    return client.rpc(function, params).execute().data


@app.post("/api/progress/lessons/<lesson_id>")
def mark(lesson_id):
    return call("mark_lesson_complete", **learner(), p_lesson_id=lesson_id)


@app.delete("/api/progress/lessons/<lesson_id>")
def unmark(lesson_id):
    return call("unmark_lesson_complete", **learner(), p_lesson_id=lesson_id)


@app.post("/api/progress/save")
def save():
    body = request.get_json()
    return call("save_progress_document", **learner(), p_course_id=body["courseId"], p_progress=body["progress"],
                p_device_id=body.get("deviceId"))


@app.get("/api/progress/summary")
def summary():
    return call("progress_summary", p_learner_id=learner()["p_learner_id"])


@app.post("/v1/tutorials/progress/<tutorial_id>/chapter")
def chapter(tutorial_id):
    body = request.get_json()
    return call("record_chapter", **learner(), p_tutorial_id=tutorial_id, p_chapter_id=body["chapterId"],
                p_watch_time=body["watchTime"])


@app.post("/api/progress")
def lesson_progress():
    body = request.get_json()
    return call("record_lesson_progress", **learner(), p_lesson_id=body["lessonId"],
                p_completion_percentage=body.get("completionPercentage"), p_time_spent=body.get("timeSpent"))


@app.get("/api/progress/course_summary")
def course_summary():
    return call("course_summary", p_learner_id=learner()["p_learner_id"], p_course_id=request.args["courseId"])


@app.get("/api/progress")
def document():
    known = request.headers.get("If-None-Match", "").strip('"') or None
    result = call("get_progress_document", p_learner_id=learner()["p_learner_id"],
                  p_course_id=request.args["courseId"], p_known_version=known)
    etag = {"ETag": f'"{result["version"]}"'}
    if result.get("notModified"):
        return "", 304, etag
    return {"progress": result["progress"]}, 200, etag
