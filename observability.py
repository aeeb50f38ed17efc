"""Metrics, structured logs and CORS: what operators and browsers see of every request.

- `/metrics` for Prometheus: request counts and latency histograms labelled by route template
  (never the raw path, so ids do not explode the series) and status; upstream error counters.
  With several worker processes, PROMETHEUS_MULTIPROC_DIR makes every worker count into one view.
- One JSON log line per request: request id, route, method, status, duration and a hash of the
  learner id. Tokens and keys are never logged.
- X-Request-ID: a sane incoming one (a proxy's) is kept, otherwise one is made; every response
  and log line carries it.
- CORS: only origins listed in CORS_ORIGINS get CORS headers.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import re
import time

import orjson
from flask import Flask, Response, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from services.errors import Unauthorized

REQUESTS = Counter("http_requests_total", "Requests served", ["method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds", "Time to serve a request", ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5),
)
UPSTREAM_ERRORS = Counter("upstream_errors_total", "PostgREST or database errors", ["kind"])

CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Request-ID"
CORS_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

log = logging.getLogger("learner_progress.requests")


def log_entry(created: float, level: str, logger: str, message: str) -> dict:
    """The fields every JSON log line starts with."""
    return {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created * 1000) % 1000:03d}Z",
            "level": level, "logger": logger, "msg": message}


class JsonFormatter(logging.Formatter):
    """Log records as one JSON object per line, written by orjson (it takes 3.4 of the standard
    library's 6.0 µs to format one: BENCHMARKS.md round 15)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = log_entry(record.created, record.levelname.lower(), record.name, record.getMessage())
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class RequestLog:
    """The line logged for every request, written to the log handler's stream in the shape
    JsonFormatter gives, at INFO (LOG_LEVEL above INFO turns it off). It makes no LogRecord: under
    load, the logging module's record and handling of this line took 6.8 % of a worker's Python
    time; written here, a line costs 4.5 µs instead of 10.2 (BENCHMARKS.md round 22)."""

    def __init__(self, handler: logging.StreamHandler):
        self.handler = handler

    def write(self, fields: dict) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        entry = log_entry(time.time(), "info", log.name, "request")
        entry.update(fields)
        line = orjson.dumps(entry).decode() + "\n"
        with self.handler.lock:
            try:
                self.handler.stream.write(line)
                self.handler.stream.flush()
            except (OSError, ValueError):  # closed or gone: as with logging, the request goes on
                pass


def new_request_id() -> str:
    """32 random hex characters, as long as uuid4().hex, without making a UUID object per request."""
    return os.urandom(16).hex()


@functools.lru_cache(maxsize=4096)
def request_series(method: str, route: str, status: int) -> tuple[Counter, Histogram]:
    """A request's counter and histogram, looked up once per method, route and status (a lookup
    takes a lock and checks the labels, 3 µs of each request)."""
    return REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route)


@functools.lru_cache(maxsize=4096)
def learner_hash(learner_id: str | None) -> str | None:
    """Enough to follow one learner through the logs, never their id."""
    return hashlib.sha256(learner_id.encode()).hexdigest()[:16] if learner_id else None


def init_app(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(app.config["LOG_LEVEL"])
    logging.getLogger("httpx").setLevel(logging.WARNING)
    request_log = RequestLog(handler)
    origins = {o.strip() for o in app.config["CORS_ORIGINS"].split(",") if o.strip()}

    @app.before_request
    def start_timer():
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID.match(incoming) else new_request_id()
        if request.method == "OPTIONS" and request.headers.get("Origin") in origins:
            return Response(status=204)

    @app.after_request
    def record(response):
        route = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        count, latency = request_series(request.method, route, response.status_code)
        count.inc()
        latency.observe(elapsed)
        learner = g.get("learner")
        request_log.write({
            "requestId": g.get("request_id"), "method": request.method, "route": route,
            "status": response.status_code, "durationMs": round(elapsed * 1000, 2),
            "learner": learner_hash(learner.id if learner else None),
        })
        origin = request.headers.get("Origin")
        if origin in origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
            response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
            response.headers["Access-Control-Expose-Headers"] = "X-Request-ID, Idempotency-Key, Retry-After"
            response.headers["Access-Control-Max-Age"] = "600"
        if response.headers.getlist("Vary"):  # (werkzeug's `in` raises and catches a KeyError when absent)
            response.vary.add("Origin")
        else:  # the usual answer: no Vary to parse and merge with
            response.headers["Vary"] = "Origin"
        response.headers["X-Request-ID"] = g.get("request_id") or new_request_id()
        return response

    @app.get("/metrics")
    def metrics():
        """Prometheus metrics of every worker, for the scraper holding METRICS_TOKEN only."""
        token = app.config["METRICS_TOKEN"]
        if not token:
            abort(404)
        if not hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
            raise Unauthorized("Send the metrics token as 'Authorization: Bearer <METRICS_TOKEN>'.")
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)
