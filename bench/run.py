"""`make bench`: the same eight operations through the Flask API, PostgREST directly, the SQL
function itself (pgbench) and a Node.js peer (supabase-js), interleaved in one run, on two
dataset sizes built in SQL. The load generators are wrk (HTTP) and pgbench (SQL).

Writes bench/results/results.json, bench/results/latency.png and the results section of
BENCHMARKS.md, and says for each goal whether it was met. Settings: BENCH_SECONDS (10),
BENCH_WARMUP (2), BENCH_CONNECTIONS (1,8,32), BENCH_DATASETS (S,L), BENCH_ROUNDS (5),
BENCH_WORKLOADS (a filter on the workload names), BENCH_SETTLE (20: the seconds of read load each
HTTP path serves before the first measurement), BENCH_WINDOW (2: the seconds of each of the two
references measured beside every SQL floor).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import jwt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devstack.__main__ import app_command, start_app  # noqa: E402
from devstack.stack import JWT_SECRET, SERVICE_ROLE_KEY, Stack, free_port  # noqa: E402

BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
CONNECTIONS = [int(c) for c in os.environ.get("BENCH_CONNECTIONS", "1,8,32").split(",")]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SETTLE = int(os.environ.get("BENCH_SETTLE", "20"))
WINDOW = int(os.environ.get("BENCH_WINDOW", "2"))
DATASETS = {
    # learners, courses, lessons per course, courses per learner, completed lessons per course.
    # The same learner and course in both: L / S compares the volume of data a request runs
    # against, not requests that do different work (S's courses had 20 lessons and its learners
    # took 10 courses until round 16, against L's 50 and 4). S has as many learners as the load
    # picks from, so that both take the same requests on the same learners and end the run in
    # the same state: with 100, each of S's learners took 20 times the writes of L's and soon
    # had every lesson completed, so S measured writes that changed nothing (round 18).
    "S": dict(learners=2_000, courses=10, lessons=50, courses_per_learner=4, lessons_per_course_done=25),
    "L": dict(learners=10_000, courses=100, lessons=50, courses_per_learner=4, lessons_per_course_done=25),
}
LOAD_LEARNERS = 2000  # the learners the load scripts pick from, on S and L alike
# The API's settings as production runs it: limits on, counted in the stack's Redis (set out of
# reach, so that they cost what they cost and refuse nothing), JSON request logs on.
AS_PRODUCTION = {
    "RATELIMIT_ENABLED": "true", "LOG_LEVEL": "INFO",
    **{name: "1000000 per minute" for name in (
        "RATELIMIT_DEFAULT", "RATELIMIT_WRITE", "RATELIMIT_TUTORIAL_READ", "RATELIMIT_TUTORIAL_CHAPTER",
        "RATELIMIT_TUTORIAL_QUIZ", "RATELIMIT_TUTORIAL_COMPLETE", "RATELIMIT_TUTORIAL_RESET")},
}
PATHS = ["api", "bare", "postgrest", "sql", "peer"]
# The process (with its workers) that serves each HTTP path: its CPU time per request is the
# path's own work, apart from what the gateway, PostgREST and the database do for every path.
SERVERS = {"api": "app", "bare": "bare", "postgrest": "postgrest", "peer": "peer"}

# Lua (wrk) request pieces per workload and path, and the SQL pgbench runs. In Lua and SQL alike,
# `learner`, `course`, `lesson` are a random learner, one of their courses, and a lesson of it.
WORKLOADS = {
    "mark lesson (003)": {
        "kind": "write",
        "api": ("POST", '"/api/progress/lessons/" .. lesson', "nil"),
        "postgrest": ("POST", '"/rest/v1/rpc/mark_lesson_complete"',
                      '\'{"p_learner_id":"\' .. learner .. \'","p_learner_kind":"account","p_lesson_id":"\' .. lesson .. \'"}\''),
        "peer": ("POST", '"/mark"', '\'{"lessonId":"\' .. lesson .. \'"}\''),
        "sql": "select public.mark_lesson_complete(:learner, 'account', :lesson);",
    },
    "unmark lesson (003)": {
        "kind": "write",
        "api": ("DELETE", '"/api/progress/lessons/" .. lesson', "nil"),
        "postgrest": ("POST", '"/rest/v1/rpc/unmark_lesson_complete"',
                      '\'{"p_learner_id":"\' .. learner .. \'","p_learner_kind":"account","p_lesson_id":"\' .. lesson .. \'"}\''),
        "peer": ("POST", '"/unmark"', '\'{"lessonId":"\' .. lesson .. \'"}\''),
        "sql": "select public.unmark_lesson_complete(:learner, 'account', :lesson);",
    },
    # A document as seed 000's client sends it: one lesson completed, the times of ten.
    "save document (000)": {
        "kind": "write",
        "api": ("POST", '"/api/progress/save"',
                '\'{"courseId":"\' .. course .. \'","deviceId":"wrk","progress":{"version":1,"completedLessonIds":["\' .. lesson .. \'"],"lessonTimes":\' .. ten_times(c, l, t) .. \'}}\''),
        "postgrest": ("POST", '"/rest/v1/rpc/save_progress_document"',
                      '\'{"p_learner_id":"\' .. learner .. \'","p_learner_kind":"account","p_course_id":"\' .. course .. \'","p_device_id":"wrk","p_progress":{"version":1,"completedLessonIds":["\' .. lesson .. \'"],"lessonTimes":\' .. ten_times(c, l, t) .. \'}}\''),
        "peer": ("POST", '"/save"',
                 '\'{"courseId":"\' .. course .. \'","deviceId":"wrk","progress":{"version":1,"completedLessonIds":["\' .. lesson .. \'"],"lessonTimes":\' .. ten_times(c, l, t) .. \'}}\''),
        "sql": "select public.save_progress_document(:learner, 'account', :course, jsonb_build_object('version', 1, "
               "'completedLessonIds', jsonb_build_array(:lesson::text), 'lessonTimes', (select jsonb_object_agg("
               "md5('bench-lesson-' || :c || '-' || ((:l + k - 1) % :lessons + 1))::uuid::text, :t::integer) from generate_series(0, 9) k)), "
               "null, 'wrk');",
    },
    "overall summary (003)": {
        "kind": "read",
        "api": ("GET", '"/api/progress/summary"', "nil"),
        "postgrest": ("GET", '"/rest/v1/rpc/progress_summary?p_learner_id=" .. learner', "nil"),
        "peer": ("GET", '"/summary"', "nil"),
        "sql": "select public.progress_summary(:learner);",
    },
    "chapter update (002)": {
        "kind": "write",
        "api": ("POST", '"/v1/tutorials/progress/" .. course .. "/chapter"',
                '\'{"chapterId":"\' .. lesson .. \'","watchTime":\' .. t .. \'}\''),
        "postgrest": ("POST", '"/rest/v1/rpc/record_chapter"',
                      '\'{"p_learner_id":"\' .. learner .. \'","p_learner_kind":"account","p_tutorial_id":"\' .. course .. \'","p_chapter_id":"\' .. lesson .. \'","p_watch_time":\' .. t .. \'}\''),
        "peer": ("POST", '"/chapter"',
                 '\'{"tutorialId":"\' .. course .. \'","chapterId":"\' .. lesson .. \'","watchTime":\' .. t .. \'}\''),
        "sql": "select public.record_chapter(:learner, 'account', :course::text, :lesson::text, :t);",
    },
    "lesson progress + achievements (001)": {
        "kind": "write",
        "api": ("POST", '"/api/progress"', '\'{"lessonId":"\' .. lesson .. \'","completionPercentage":100,"timeSpent":\' .. t .. \'}\''),
        "postgrest": ("POST", '"/rest/v1/rpc/record_lesson_progress"',
                      '\'{"p_learner_id":"\' .. learner .. \'","p_learner_kind":"account","p_lesson_id":"\' .. lesson .. \'","p_completion_percentage":100,"p_time_spent":\' .. t .. \'}\''),
        "peer": ("POST", '"/lesson-progress"', '\'{"lessonId":"\' .. lesson .. \'","completionPercentage":100,"timeSpent":\' .. t .. \'}\''),
        "sql": "select public.record_lesson_progress(:learner, 'account', :lesson, null, 100, :t);",
    },
    "course summary (004)": {
        "kind": "read",
        "api": ("GET", '"/api/progress/course_summary?courseId=" .. course', "nil"),
        "postgrest": ("GET", '"/rest/v1/rpc/course_summary?p_learner_id=" .. learner .. "&p_course_id=" .. course', "nil"),
        "peer": ("GET", '"/course-summary?courseId=" .. course', "nil"),
        "sql": "select public.course_summary(:learner, :course);",
    },
    # A polling page's conditional read: each wrk thread asks for one learner's document again
    # and again with the ETag (or version) it was given, so all but its first answers are 304.
    "document 304 (000)": {
        "kind": "read",
        "fixed": True,
        "api": ("GET", '"/api/progress?courseId=" .. course', "nil"),
        "postgrest": ("POST", '"/rest/v1/rpc/get_progress_document"',
                      '\'{"p_learner_id":"\' .. learner .. \'","p_course_id":"\' .. course .. \'","p_known_version":\' .. (etag and (\'"\' .. etag .. \'"\') or "null") .. \'}\''),
        "peer": ("GET", '"/document?courseId=" .. course', "nil"),
        # The version twice: once as the client's known one, once to compare it with.
        "sql": "select public.get_progress_document(:learner, :course, private.document_version(:learner, :course));",
    },
}

LUA = """
local learners = {LEARNERS}
local tokens = {TOKENS}
local courses = {COURSES}
local taking = {TAKING}
local lessons_per_course = {LESSONS}
local counter = 0
local fixed, etag = nil, nil
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))

local function lesson_id(c, l) return LESSON_IDS[c][l] end

-- The times of ten lessons from l on, as a JSON object.
local function ten_times(c, l, t)
  local parts = {}
  for k = 0, 9 do parts[#parts + 1] = '"' .. lesson_id(c, ((l + k - 1) % lessons_per_course) + 1) .. '":' .. t end
  return "{" .. table.concat(parts, ",") .. "}"
end

request = function()
  counter = counter + 1
  local n = math.random(#learners)
  local c = taking[n][math.random(#taking[n])]
  if {FIXED} then
    fixed = fixed or {n, c}
    n, c = fixed[1], fixed[2]
  end
  local learner = learners[n]
  local course = courses[c]
  local l = math.random(lessons_per_course)
  local lesson = lesson_id(c, l)
  local t = 60 + (counter % 3000)
  local headers = {HEADERS}
  local body = {BODY}
  return wrk.format("{METHOD}", {PATH}, headers, body)
end

{RESPONSE}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\nRESULT {"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout + e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


# For the conditional read: keep the ETag (API, peer) or the version (PostgREST's body) to send back.
KEEP_VERSION = """
response = function(status, headers, body)
  local tag = headers["ETag"] or headers["etag"]
  if tag then etag = tag:gsub('"', '') elseif body then etag = body:match('"version"%s*:%s*"(%x+)"') or etag end
end
"""


def tree_cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) that a process and its living descendants have used."""
    ticks, total, pending = os.sysconf("SC_CLK_TCK"), 0, [pid]
    while pending:
        process = pending.pop()
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
            for task in Path(f"/proc/{process}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # it ended between the listing and the read
    return total / ticks


def wait_for_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def md5_uuid(text: str) -> str:
    return str(uuid.UUID(hashlib.md5(text.encode()).hexdigest()))


def lua_list(values) -> str:
    return "{" + ",".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values) + "}"


class Bench:
    def __init__(self, name: str, size: dict):
        self.name, self.size = name, size
        self.root = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        os.chmod(self.root, 0o755)
        self.stack = Stack.throwaway_stack(self.root)
        self.stack.throwaway = False  # fsync on: write latency as production would see it
        self.stack.statement_stats = True  # each call's executor time, apart from its commit
        self.work = self.root / "scripts"
        self.work.mkdir()

    # ----- set-up ------------------------------------------------------------------------------
    def start(self) -> None:
        self.stack.start(seed=True)
        started = time.monotonic()
        subprocess.run(
            ["psql", "-q", self.stack.database_url, "-f", str(BENCH / "dataset.sql"),
             *[arg for key, value in self.size.items() for arg in ("-v", f"{key}={value}")]],
            check=True, stdout=subprocess.DEVNULL,
        )
        self.build_seconds = time.monotonic() - started
        self.psql("create extension if not exists pg_stat_statements with schema extensions")
        self.vacuum_catalog_when_quiet()
        # The build's own checkpoint (L writes 0.5 GB of WAL) would otherwise spread its writes
        # over the first minute measured: L's first workload ran at 3x its settled p50 (round 13).
        self.psql("checkpoint")
        self.rows = int(self.psql("select count(*) from lesson_progress"))
        print(f"[{self.name}] dataset: {self.rows} lesson-progress rows in {self.build_seconds:.1f}s", flush=True)
        self.api_port, self.peer_port = free_port(), free_port()
        start_app(self.stack, self.api_port, extra_env=AS_PRODUCTION)
        env = {**os.environ, **self.stack.env(), "PEER_PORT": str(self.peer_port)}
        self.stack.spawn("peer", ["node", str(BENCH / "peer.mjs")], env=env, cwd=BENCH)
        wait_for_port(self.peer_port)
        # The bare floor, under the same server and layout as the API.
        self.bare_port = free_port()
        self.stack.spawn("bare", app_command(self.bare_port, target="bare:app"), env=env, cwd=BENCH)
        wait_for_port(self.bare_port)
        self.scripts()
        self.window_scripts()

    def vacuum_catalog_when_quiet(self) -> None:
        """The catalog vacuumed again once no other transaction holds a snapshot. The build's DDL
        (a trigger switched off and on) makes PostgREST reload its schema cache, in a transaction
        that can still hold a snapshot while the dataset's own vacuum runs: rows newer than that
        snapshot are not marked visible to all, and L's lessons kept 2 of 74 pages all-visible
        (round 31), so reads through the catalog's covering indexes went to the table anyway.
        In production autovacuum has long since vacuumed a catalog that rarely changes."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and int(self.psql(
                "select count(*) from pg_stat_activity where backend_xmin is not null and pid <> pg_backend_pid()")):
            time.sleep(0.2)
        self.psql("vacuum public.courses, public.modules, public.lessons")

    def scripts(self) -> None:
        size = self.size
        count = min(size["learners"], LOAD_LEARNERS)
        learners = [md5_uuid(f"bench-learner-{n}") for n in range(1, count + 1)]
        now = int(time.time())
        tokens = [jwt.encode({"sub": lid, "aud": "authenticated", "role": "authenticated", "iat": now,
                              "exp": now + 86_400}, JWT_SECRET, algorithm="HS256") for lid in learners]
        courses = [md5_uuid(f"bench-course-{c}") for c in range(1, size["courses"] + 1)]
        taking = [[((n + k * 7) % size["courses"]) + 1 for k in range(size["courses_per_learner"])] for n in range(1, count + 1)]
        lesson_ids = "{" + ",".join(
            lua_list(md5_uuid(f"bench-lesson-{c}-{lesson}") for lesson in range(1, size["lessons"] + 1))
            for c in range(1, size["courses"] + 1)) + "}"
        common = (LUA.replace("{LEARNERS}", lua_list(learners)).replace("{TOKENS}", lua_list(tokens))
                  .replace("{COURSES}", lua_list(courses)).replace("{LESSONS}", str(size["lessons"]))
                  .replace("{TAKING}", "{" + ",".join("{" + ",".join(map(str, t)) + "}" for t in taking) + "}")
                  .replace("LESSON_IDS", "lesson_ids"))
        common = common.replace("local function lesson_id", f"local lesson_ids = {lesson_ids}\nlocal function lesson_id")
        headers = {
            "api": '{["Authorization"] = "Bearer " .. tokens[n], ["Content-Type"] = "application/json", '
                   '["If-None-Match"] = etag and (\'"\' .. etag .. \'"\')}',
            "peer": '{["Authorization"] = "Bearer " .. tokens[n], ["Content-Type"] = "application/json", '
                    '["If-None-Match"] = etag and (\'"\' .. etag .. \'"\')}',
            "postgrest": f'{{["apikey"] = "{SERVICE_ROLE_KEY}", ["Authorization"] = "Bearer {SERVICE_ROLE_KEY}", '
                         '["Content-Type"] = "application/json"}',
        }
        for w, (name, workload) in enumerate(WORKLOADS.items()):
            for path in ("api", "postgrest", "peer"):
                method, lua_path, body = workload[path]
                fixed = workload.get("fixed", False)
                script = (common.replace("{FIXED}", "true" if fixed else "false")
                          .replace("{RESPONSE}", KEEP_VERSION if fixed else "")
                          .replace("{HEADERS}", headers[path]).replace("{BODY}", body)
                          .replace("{METHOD}", method).replace("{PATH}", lua_path))
                (self.work / f"w{w}-{path}.lua").write_text(script)
            (self.work / f"w{w}.sql").write_text(
                f"\\set n random(1, {count})\n\\set k random(0, {size['courses_per_learner'] - 1})\n"
                f"\\set c ((:n + :k * 7) % {size['courses']}) + 1\n\\set l random(1, {size['lessons']})\n"
                "\\set t random(60, 3000)\n"
                + workload["sql"]
                .replace(":learner", "md5('bench-learner-' || :n)::uuid")
                .replace(":course", "md5('bench-course-' || :c)::uuid")
                .replace(":lessons", str(size["lessons"]))
                .replace(":lesson", "md5('bench-lesson-' || :c || '-' || :l)::uuid") + "\n"
            )

    def window_scripts(self) -> None:
        """The window's two references (see `window`): a fixed computation, and the smallest write
        that commits, on a table of the bench's own."""
        self.psql("create table bench_window_commits (id integer primary key, n integer not null)")
        self.psql("alter table bench_window_commits owner to postgres")
        (self.work / "compute.sql").write_text("select sum(g) from generate_series(1, 10000) g;\n")
        (self.work / "commit.sql").write_text(
            "\\set i random(1, 1000)\ninsert into bench_window_commits (id, n) values (:i, 1) "
            "on conflict (id) do update set n = bench_window_commits.n + 1;\n")

    def psql(self, sql: str) -> str:
        return subprocess.run(["psql", "-qtA", self.stack.superuser_url, "-c", sql],
                              check=True, capture_output=True, text=True).stdout.strip()

    def stop(self) -> None:
        self.stack.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # ----- measuring -----------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return {"api": f"http://127.0.0.1:{self.api_port}", "peer": f"http://127.0.0.1:{self.peer_port}",
                "bare": f"http://127.0.0.1:{self.bare_port}",
                "postgrest": self.stack.supabase_url}[path]

    def wrk(self, index: int, path: str, connections: int, seconds: int) -> dict:
        server = self.stack.pids[SERVERS[path]]
        cpu_before = tree_cpu_seconds(server)
        result = subprocess.run(
            ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
             # The bare floor serves the API's paths: it takes the API's script.
             "-s", str(self.work / f"w{index}-{'api' if path == 'bare' else path}.lua"), self.url(path)],
            capture_output=True, text=True,
        )
        line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
        raw = json.loads(line[len("RESULT "):])
        cpu = tree_cpu_seconds(server) - cpu_before
        return {"rps": raw["requests"] / (raw["duration_us"] / 1e6), "p50_ms": raw["p50_us"] / 1000,
                "p95_ms": raw["p95_us"] / 1000, "p99_ms": raw["p99_us"] / 1000, "errors": raw["errors"],
                "requests": raw["requests"], "cpu_ms": 1000 * cpu / max(raw["requests"], 1)}

    def pgbench(self, script: str, connections: int, seconds: int) -> dict:
        logs = self.root / f"pgbench-{script}-{connections}"
        shutil.rmtree(logs, ignore_errors=True)
        logs.mkdir()
        self.psql("select extensions.pg_stat_statements_reset()")
        # Prepared statements, as PostgREST (every HTTP path's way in) sends its calls: parsing
        # and planning the call anew each time cost 0.04 to 0.2 ms that no path pays (round 27).
        result = subprocess.run(
            ["pgbench", "-n", "-M", "prepared", "-c", str(connections), "-j", str(min(connections, 2)), "-T", str(seconds),
             "-f", str(self.work / script), "-l", "--log-prefix", str(logs / "log"), self.stack.database_url],
            capture_output=True, text=True,
        )
        latencies = sorted(int(line.split()[2]) for f in logs.iterdir() for line in f.read_text().splitlines())
        failed = sum(1 for line in result.stdout.splitlines() if "failed" in line and "transactions" in line and not line.strip().endswith("(0.000%)"))

        def pct(p):
            return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] / 1000 if latencies else 0.0

        # The workload's call (every workload calls one public function): its mean time in the
        # executor, nested calls included; parse, plan, commit and the round trip not.
        executor = self.psql("select round(sum(total_exec_time)::numeric / nullif(sum(calls), 0), 3) "
                             "from extensions.pg_stat_statements where query like 'select public.%'")
        return {"rps": len(latencies) / seconds, "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
                "executor_ms": float(executor or 0), "errors": failed + (result.returncode != 0),
                "requests": len(latencies)}

    def measure_once(self, index: int, path: str, connections: int, seconds: int) -> dict:
        if path == "sql":
            return self.pgbench(f"w{index}.sql", connections, seconds)
        return self.wrk(index, path, connections, seconds)

    def measure(self, index: int, connections: int) -> dict:
        """Every path, in ROUNDS short rounds taken in turn: this machine's latency drifts by up to
        2x from one 10 s window to the next, so paths measured in separate windows were
        compared under different conditions. Throughput is over all rounds; each percentile is
        the median of the rounds' percentiles."""
        if WARMUP:
            for path in PATHS:
                self.measure_once(index, path, connections, WARMUP)
        rounds = {path: [] for path in PATHS}
        for _ in range(ROUNDS):
            for path in PATHS:
                rounds[path].append(self.measure_once(index, path, connections, max(1, SECONDS // ROUNDS)))
        row = {path: combine(runs) for path, runs in rounds.items()}
        if connections == 1:
            row["sql"]["window"] = self.window()
        return row

    def window(self) -> dict:
        """The machine's window beside a SQL floor: p50 of a fixed computation (the sum of
        10 000 numbers, the database's CPU and nothing of this project's code) and of a one-row
        upsert that commits (the flush to disk), each measured for WINDOW seconds right after the
        workload. From one run to the next the machine moves the floor more than most changes to
        the code do (round 28: every workload's executor time 1.6 to 2.3 times round 27's, on code
        that had not changed for most of them); these two say which window a floor was measured
        in."""
        return {"compute_ms": self.pgbench("compute.sql", 1, WINDOW)["p50_ms"],
                "commit_ms": self.pgbench("commit.sql", 1, WINDOW)["p50_ms"]}

    def settle(self) -> None:
        """Each HTTP path serves the overall summary (a read) at 8 connections for SETTLE seconds
        before anything is measured: every learner's token then seen by each of the API's workers
        (about nine times each), which a browser's repeated requests would have done, and Node's
        compiler warm. The first workload measured, at one connection, otherwise took most of its
        requests with a token each worker had not seen (round 23)."""
        summary = list(WORKLOADS).index("overall summary (003)")
        for path in ("api", "bare", "postgrest", "peer"):
            self.wrk(summary, path, 8, SETTLE)

    def run(self) -> dict:
        results = {}
        only = os.environ.get("BENCH_WORKLOADS")
        if SETTLE:
            self.settle()
        for index, name in enumerate(WORKLOADS):
            if only and not any(part.strip() in name for part in only.split(",")):
                continue
            results[name] = {}
            for connections in CONNECTIONS:
                results[name][str(connections)] = row = self.measure(index, connections)
                print(f"[{self.name}] {name:38} c={connections:<3} " + "  ".join(
                    f"{p}: {row[p]['rps']:7.0f}/s p95 {row[p]['p95_ms']:6.1f}ms" for p in PATHS), flush=True)
        return results


def combine(runs: list[dict]) -> dict:
    requests = sum(r["requests"] for r in runs)
    seconds = sum(r["requests"] / r["rps"] for r in runs if r["rps"])
    return {"rps": requests / seconds if seconds else 0.0, "requests": requests,
            "errors": sum(r["errors"] for r in runs),
            **{key: statistics.median(r[key] for r in runs) for key in ("p50_ms", "p95_ms", "p99_ms", "executor_ms", "cpu_ms")
               if key in runs[0]}}


# ----- the report ------------------------------------------------------------------------------------
# The SQL floor's goals (ms, p50 at one connection on L): issue 17's.
SQL_FLOOR_GOALS = {"mark lesson (003)": 1.0, "unmark lesson (003)": 1.0, "save document (000)": 2.0, "overall summary (003)": 0.5,
                   "chapter update (002)": 1.5, "lesson progress + achievements (001)": 1.5,
                   "course summary (004)": 0.5}


def goals(results: dict) -> list[tuple[str, bool, str]]:
    verdicts = []
    for dataset in results["datasets"]:
        data = results["datasets"][dataset]["workloads"]
        for name, by_conn in data.items():
            if "8" in by_conn:
                api = by_conn["8"]["api"]
                for path, share in (("bare", 0.9), ("peer", 0.9), ("postgrest", 0.5)):
                    other = by_conn["8"][path]
                    verdicts.append((f"{dataset} {name}: API throughput >= {share} x {path} at 8 connections",
                                     api["rps"] >= share * other["rps"],
                                     f"{api['rps']:.0f} vs {other['rps']:.0f}/s ({api['rps'] / max(other['rps'], 1e-9):.2f}; "
                                     f"server CPU {api.get('cpu_ms', 0):.2f} vs {other.get('cpu_ms', 0):.2f} ms per request)"))
            if "1" in by_conn:
                overhead = by_conn["1"]["api"]["p50_ms"] - by_conn["1"]["postgrest"]["p50_ms"]
                verdicts.append((f"{dataset} {name}: single-connection p50 overhead over PostgREST <= 1.5 ms",
                                 overhead <= 1.5, f"{overhead:.2f} ms"))
                if dataset == "L" and name in SQL_FLOOR_GOALS:
                    sql = by_conn["1"]["sql"]
                    verdicts.append((f"L {name}: SQL floor p50 <= {SQL_FLOOR_GOALS[name]} ms at 1 connection",
                                     sql["p50_ms"] <= SQL_FLOOR_GOALS[name],
                                     f"{sql['p50_ms']:.2f} ms (" + "; ".join(filter(None, [
                                         f"executor {sql.get('executor_ms', 0):.2f} ms", window_text(sql)])) + ")"))
    if {"S", "L"} <= set(results["datasets"]):
        for name in results["datasets"]["L"]["workloads"]:
            for conn in results["datasets"]["L"]["workloads"][name]:
                for path, key in (("api", "p95_ms"), ("sql", "p50_ms")):
                    ratio = (results["datasets"]["L"]["workloads"][name][conn][path][key]
                             / max(results["datasets"]["S"]["workloads"][name][conn][path][key], 1e-6))
                    verdicts.append((f"{name}, {conn} connections: {path} {key[:3]} L / S <= 1.3", ratio <= 1.3, f"{ratio:.2f}"))
    if "L" in results["datasets"] and "32" in next(iter(results["datasets"]["L"]["workloads"].values())):
        for name, by_conn in results["datasets"]["L"]["workloads"].items():
            limit = 150 if WORKLOADS[name]["kind"] == "write" else 100
            p95 = by_conn["32"]["api"]["p95_ms"]
            verdicts.append((f"L {name}: API p95 < {limit} ms at 32 connections", p95 < limit, f"{p95:.1f} ms"))
    return verdicts


def window_text(sql: dict) -> str:
    """The window a SQL floor was measured in, for its goal's and its table's text."""
    if "window" not in sql:
        return ""
    return (f"window: a fixed computation {sql['window']['compute_ms']:.2f} ms, "
            f"a one-row commit {sql['window']['commit_ms']:.2f} ms")


def chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(results["datasets"])
    conn = "8" if "8" in CONNECTIONS_STR else CONNECTIONS_STR[0]
    fig, axes = plt.subplots(len(datasets), 1, figsize=(12, 4.5 * len(datasets)), squeeze=False)
    for axis, dataset in zip(axes[:, 0], datasets, strict=True):
        workloads = results["datasets"][dataset]["workloads"]
        names = list(workloads)
        width = 0.8 / len(PATHS)
        for i, p in enumerate(PATHS):
            p50 = [workloads[n][conn][p]["p50_ms"] for n in names]
            p95 = [workloads[n][conn][p]["p95_ms"] for n in names]
            xs = [x + (i - (len(PATHS) - 1) / 2) * width for x in range(len(names))]
            axis.bar(xs, p95, width, alpha=0.35, color=f"C{i}")
            axis.bar(xs, p50, width, label=p, color=f"C{i}")
        axis.set_xticks(range(len(names)), [n.replace(" (", "\n(") for n in names], fontsize=8)
        axis.set_ylabel("latency (ms): p50 solid, p95 light")
        axis.set_title(f"Dataset {dataset}, {conn} connections")
        axis.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


CONNECTIONS_STR = [str(c) for c in CONNECTIONS]
NOTES_HEADING = "## Profiling and fixes"

INTRO = """# Benchmarks

`make bench` (not a test: CI never runs it) measures the same eight operations (writes and
reads, and a polling page's conditional read answered 304) through five paths, in one run,
interleaved per workload and connection count:

1. **api**: this Flask API (granian, 2 workers x 4 threads, as `make run` serves it), as
   production runs it: token verification, validation, rate limits counted in Redis (set out
   of reach), JSON request logs and metrics on;
2. **bare**: the design card's floor (`bench/bare.py`): Flask and supabase-py calling the same
   functions on the same paths under the same server, and nothing else; the gap between api and
   bare is what the API's own per-request work costs;
3. **postgrest**: PostgREST directly, `/rest/v1/rpc/<function>` through the nginx gateway with
   the service key: the floor of any Supabase-based design;
4. **sql**: the SQL function itself through pgbench, called as a prepared statement as PostgREST
   calls it (`-M prepared`, since round 27): the physical floor;
5. **peer**: a minimal Node.js handler (`bench/peer.mjs`, 2 processes) that verifies the same
   token and calls the same function with supabase-js, as the seeds' Next.js designs would.

HTTP load comes from wrk with generated Lua scripts (random learner, one of their courses, a
lesson of it), SQL load from pgbench; both run on the same 2-core machine as the service. The
datasets are built in SQL (`bench/dataset.sql`, `generate_series`): **S** 2 000 learners and 10
courses, 200 000 lesson-progress rows; **L** 10 000 learners and 100 courses, 1 000 000
lesson-progress rows, with course documents, enrollments and quiz attempts. In both a course has
50 lessons in 5 modules and a learner takes 4 courses with 25 lessons done in each, and the load
picks from the same 2 000 learners, so that L / S compares the volume of data each request runs
against (five times), not different requests or learners in different states.
PostgreSQL runs with fsync on and `random_page_cost = 1.1`, with `pg_stat_statements` loaded (as on
hosted Supabase): the **executor** column of the sql path is each call's mean time in the
executor, nested calls included and parse, plan, commit and round trip not. It tells what a
function itself costs apart from the commit's flush to disk, which on a shared machine varies
from one run to the next more than any change to the code. The **server CPU** column of the HTTP
paths is the CPU time (user and system, from `/proc`) that the path's own server used per request
in the same window: the API's or the bare floor's granian workers, the peer's Node processes,
PostgREST. The gateway, PostgREST and the database work for every path alike and are not in it.
It counts work, not waiting: api minus bare is what the API's own per-request work costs,
whatever the other processes on the machine were doing to throughput. Beside each SQL floor at one
connection, the **sql's window** row gives the p50 of a fixed computation (the sum of 10 000
numbers: the database's CPU, none of this project's code) and of a one-row upsert that commits
(the flush to disk), measured right after it: the same floor moves with the machine's window by
more than most changes to the code move it, and these two say which window it was. Figures:
`bench/results/results.json`; chart: `bench/results/latency.png`.

"""


def markdown(results: dict, verdicts) -> str:
    lines = [
        "## Results", "",
        f"Run on {results['date']} with `{results['command']}`: {results['machine']}. "
        f"Before the first measurement, each HTTP path served {SETTLE} s of the overall summary's load at 8 connections. "
        f"Each measurement: a {WARMUP} s warm-up per path, then {SECONDS} s per path in {ROUNDS} rounds that "
        "take the four paths in turn; throughput over all rounds, percentiles the median of the rounds'. "
        "Latencies in ms; throughput in requests/s.", "",
    ]
    for dataset, data in results["datasets"].items():
        lines += [f"### Dataset {dataset}: {data['rows']} lesson-progress rows ({json.dumps(DATASETS[dataset])}), built in {data['build_seconds']:.0f} s", ""]
        for name, by_conn in data["workloads"].items():
            lines += [f"**{name}**", "", "| conns | path | req/s | p50 | p95 | p99 | executor | server CPU | errors |",
                      "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
            for conn, row in by_conn.items():
                for p in PATHS:
                    r = row[p]
                    executor = f"{r['executor_ms']:.2f}" if "executor_ms" in r else ""
                    cpu = f"{r['cpu_ms']:.2f}" if "cpu_ms" in r else ""
                    lines.append(f"| {conn} | {p} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['p99_ms']:.2f} | {executor} | {cpu} | {r['errors']} |")
                api = row["api"]
                lines.append(
                    f"| {conn} | ratios | API/bare {api['rps'] / max(row['bare']['rps'], 1e-9):.2f}, "
                    f"API/PostgREST {api['rps'] / max(row['postgrest']['rps'], 1e-9):.2f}, "
                    f"API/SQL {api['rps'] / max(row['sql']['rps'], 1e-9):.2f}, API/peer {api['rps'] / max(row['peer']['rps'], 1e-9):.2f} | | | | | | |")
                if "window" in row["sql"]:
                    lines.append(f"| {conn} | sql's window | {window_text(row['sql'])} | | | | | | |")
            lines.append("")
    if {"S", "L"} <= set(results["datasets"]):
        lines += ["### L / S (p95)", "", "| workload | conns | " + " | ".join(PATHS) + " |", "| --- | --- |" + " --- |" * len(PATHS)]
        for name in results["datasets"]["L"]["workloads"]:
            for conn in CONNECTIONS_STR:
                cells = [results["datasets"]["L"]["workloads"][name][conn][p]["p95_ms"]
                         / max(results["datasets"]["S"]["workloads"][name][conn][p]["p95_ms"], 1e-6) for p in PATHS]
                lines.append(f"| {name} | {conn} | " + " | ".join(f"{c:.2f}" for c in cells) + " |")
        lines.append("")
    met = sum(1 for _, ok, _ in verdicts if ok)
    lines += [f"### Goals: {met} of {len(verdicts)} met", "", "| goal | met | measured |", "| --- | --- | --- |"]
    lines += [f"| {goal} | {'met' if ok else 'MISSED'} | {measured} |" for goal, ok, measured in verdicts]
    lines += ["", "![latency](bench/results/latency.png)", ""]
    return "\n".join(lines)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))) // 1024 // 1024
    return f"{os.cpu_count()} cores ({cpu}), {memory} GiB, {platform.system()} {platform.release()}, load generator on the same machine"


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    results = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
               "command": "make bench", "seconds": SECONDS, "warmup": WARMUP, "settle": SETTLE, "connections": CONNECTIONS, "datasets": {}}
    for name in os.environ.get("BENCH_DATASETS", "S,L").split(","):
        bench = Bench(name, DATASETS[name])
        try:
            bench.start()
            results["datasets"][name] = {"rows": bench.rows, "build_seconds": bench.build_seconds, "workloads": bench.run()}
        finally:
            bench.stop()
        (RESULTS / "results.json").write_text(json.dumps(results, indent=2))
    verdicts = goals(results)
    results["goals"] = [{"goal": g, "met": ok, "measured": m} for g, ok, m in verdicts]
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2))
    chart(results, RESULTS / "latency.png")
    report = ROOT / "BENCHMARKS.md"
    # The profiling notes below the results are written by hand: a new run keeps them.
    previous = report.read_text() if report.exists() else ""
    notes = previous[previous.index(NOTES_HEADING):] if NOTES_HEADING in previous else ""
    report.write_text(INTRO + markdown(results, verdicts) + notes)
    for goal, ok, measured in verdicts:
        print(f"{'met   ' if ok else 'MISSED'} {goal}: {measured}")
    print(f"\nwrote {RESULTS / 'results.json'}, {RESULTS / 'latency.png'} and {report}")
    print(f"median API/PostgREST throughput at 8 connections: "
          f"{statistics.median(w['8']['api']['rps'] / w['8']['postgrest']['rps'] for d in results['datasets'].values() for w in d['workloads'].values() if '8' in w):.2f}"
          if "8" in CONNECTIONS_STR else "")


if __name__ == "__main__":
    main()
