"""Instructions per request of this API and of the bare floor (bench/bare.py), in process, counted
by callgrind: what the API's own work costs, free of the noise that moves a throughput ratio by
10 to 30 % from one window to the next on a shared machine (BENCHMARKS.md round 11).

    .venv/bin/python bench/instructions.py [workload ...]      (default: mark summary)

Workloads: mark, unmark, summary, document (a conditional read answered 304).

It starts a throwaway stack with rounds 11 to 15's dataset S (below), then for each workload and
path runs the same requests through Flask's test client under `valgrind --tool=callgrind` twice,
with 100 and 200 measured requests after a warm-up: the difference over 100 is the count per
request, start-up left out. Both paths make their real calls to PostgREST; only the Python
process is counted. The API runs as `make bench` runs it: rate limits on in the stack's Redis
(out of reach), JSON logs on. Each workload takes about five minutes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from devstack.stack import JWT_SECRET, Stack  # noqa: E402
from run import AS_PRODUCTION, md5_uuid  # noqa: E402  (bench/ is this script's folder)

# Rounds 11 to 15's dataset S, kept so that counts stay comparable from round to round: every
# learner takes every course, which lesson() relies on.
SIZE = dict(learners=100, courses=10, lessons=20, courses_per_learner=10, lessons_per_course_done=10)
WARM_UP, FEWER, MORE = 50, 100, 200


def lesson(n: int) -> str:
    """A lesson of one of learner n's courses (the dataset's learner n takes every course of S)."""
    return md5_uuid(f"bench-lesson-{n % SIZE['courses'] + 1}-{n % SIZE['lessons'] + 1}")


# Each workload: (method, path) for request number n, which acts for learner n % 100 + 1.
# "document" is a polling page's read: each learner asks for the first course's document (every
# learner takes every course) again with the ETag it was given, so all but its first answers are 304.
WORKLOADS = {
    "mark": lambda n: ("POST", f"/api/progress/lessons/{lesson(n)}"),
    "unmark": lambda n: ("DELETE", f"/api/progress/lessons/{lesson(n)}"),
    "summary": lambda n: ("GET", "/api/progress/summary"),
    "document": lambda n: ("GET", f"/api/progress?courseId={md5_uuid('bench-course-1')}"),
}


def child(path: str, workload: str, measured: int) -> None:
    """One counted process: build the app, warm it up, then send `measured` requests."""
    import jwt

    if path == "api":
        from app import create_app

        app = create_app()
        logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))  # the log line is made, not shown
    else:
        from bare import app  # bench/ is this script's folder
    client = app.test_client()
    tokens = [jwt.encode({"sub": md5_uuid(f"bench-learner-{n}"), "aud": "authenticated", "role": "authenticated",
                          "exp": int(time.time()) + 86_400}, JWT_SECRET, algorithm="HS256")
              for n in range(1, SIZE["learners"] + 1)]
    etags = {}  # each learner's ETag of the document it read last
    for n in range(WARM_UP + measured):
        method, url = WORKLOADS[workload](n)
        token = tokens[n % len(tokens)]
        headers = {"Authorization": f"Bearer {token}", **({"If-None-Match": etags[token]} if token in etags else {})}
        response = client.open(url, method=method, headers=headers)
        assert response.status_code < 300 or response.status_code == 304, (
            response.status_code, response.get_data(as_text=True)[:300])
        if "ETag" in response.headers:
            etags[token] = response.headers["ETag"]


def counted(env: dict, path: str, workload: str, measured: int) -> int:
    """The instructions callgrind counts in one child process."""
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
         "--child", path, workload, str(measured)],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", result.stderr).group(1))


def main(workloads: list[str]) -> None:
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed: apt-get install valgrind")
    root = Path(tempfile.mkdtemp(prefix="bench-instructions-"))
    stack = Stack.throwaway_stack(root)
    try:
        stack.start(seed=True)
        subprocess.run(["psql", "-q", stack.database_url, "-f", str(BENCH / "dataset.sql"),
                        *[arg for key, value in SIZE.items() for arg in ("-v", f"{key}={value}")]],
                       check=True, stdout=subprocess.DEVNULL)
        env = {**os.environ, **stack.env(), **AS_PRODUCTION,
               "PROMETHEUS_MULTIPROC_DIR": str(root / "metrics"), "PYTHONHASHSEED": "0"}
        (root / "metrics").mkdir()
        rows = {}
        for workload in workloads:
            per_request = {path: (counted(env, path, workload, MORE) - counted(env, path, workload, FEWER))
                           // (MORE - FEWER) for path in ("api", "bare")}
            rows[workload] = per_request
            print(f"{workload}: api {per_request['api']:,} bare {per_request['bare']:,} instructions per request, "
                  f"bare / api {per_request['bare'] / per_request['api']:.3f}", flush=True)
        print(json.dumps(rows))
    finally:
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main(sys.argv[1:] or ["mark", "summary"])
