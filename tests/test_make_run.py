"""`make run` on a clean clone: it installs what is missing, serves the API, prints what runs
where, stops everything on Ctrl-C, keeps its data across restarts, and `make reset` wipes it.
(`make test` on a clean clone is what CI runs.)"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import pytest

from devstack.stack import ROOT, free_port

pytestmark = pytest.mark.skipif(
    not (ROOT / ".git").exists(), reason="needs the project's git history to clone"
)


def make_run(clone: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(["make", "run"], cwd=clone, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def wait_until_serving(process: subprocess.Popen, port: int, timeout: float = 600) -> str:
    output, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise AssertionError("make run exited:\n" + "".join(output[-40:]))
        output.append(line)
        if "Ctrl-C stops everything" in line:
            assert httpx.get(f"http://127.0.0.1:{port}/health").json()["status"] == "ok"
            return "".join(output)
    raise AssertionError("make run did not serve in time:\n" + "".join(output[-40:]))


def interrupt(process: subprocess.Popen) -> None:
    """Ctrl-C: SIGINT to the whole foreground process group, as a terminal sends it."""
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=30)
    process.stdout.close()


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def workdir():
    """A 0700 folder, as root's home is in a container: the cluster's OS user cannot reach it."""
    path = Path(tempfile.mkdtemp(prefix="make-run-"))
    os.chmod(path, 0o700)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def fresh_shell(clone: Path) -> dict:
    """What a new terminal has: no stack settings, no ports, no .env."""
    return {k: v for k, v in os.environ.items()
            if not k.endswith("_PORT") and k not in ("PORT", "DEVSTACK_STATE", "DATABASE_URL", "SUPABASE_URL",
                                                     "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_JWT_SECRET",
                                                     "RATELIMIT_STORAGE_URI")}


def test_make_run_on_a_clean_clone(workdir):
    clone = workdir / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    ports = {name: free_port() for name in ("PORT", "DB_PORT", "GATEWAY_PORT", "POSTGREST_PORT", "POSTGREST_ADMIN_PORT", "REDIS_PORT")}
    env = {k: v for k, v in os.environ.items() if k not in ("DEVSTACK_STATE", "DATABASE_URL", "SUPABASE_URL")}
    env.update({name: str(port) for name, port in ports.items()})
    api = f"http://127.0.0.1:{ports['PORT']}"

    process = make_run(clone, env)
    try:
        banner = wait_until_serving(process, ports["PORT"])
        for label in ("API", "Gateway (SUPABASE_URL)", "Database URL", "anon key", "service_role key"):
            assert label in banner
        learner = str(uuid.uuid4())
        assert httpx.post(f"{api}/api/learners", json={"userId": learner}).status_code == 201
        assert httpx.get(f"{api}/api/courses").json()["total"] >= 5, "the demo seed is loaded"
        # The README's seed 001 example, on the demo catalog.
        assert httpx.get(f"{api}/api/courses?category=web&difficulty=beginner").json()["courses"]

        # Commands from a fresh shell find this stack on its non-default ports.
        shell = fresh_shell(clone)
        imported = subprocess.run(["make", "-s", "catalog", "FILE=supabase/catalog/demo.json"], cwd=clone, env=shell,
                                  capture_output=True, text=True)
        assert imported.returncode == 0 and "courses: 0 added" in imported.stdout, imported.stdout + imported.stderr
        made = subprocess.run(["make", "-s", "user", "EMAIL=ada@example.test", "ROLE=instructor", "NAME=Ada Lovelace"],
                              cwd=clone, env=shell, capture_output=True, text=True)
        assert made.returncode == 0, made.stderr
        instructor = {"Authorization": f"Bearer {made.stdout.strip()}"}
        # The README's instructor flow, as written: create, publish, see it listed.
        course = httpx.post(f"{api}/api/courses", headers=instructor, json={
            "title": "Rust for learners", "category": "systems", "difficulty_level": "beginner"}).json()["course"]
        assert course["instructor"]["full_name"] == "Ada Lovelace" and course["is_published"] is False
        assert httpx.patch(f"{api}/api/courses/{course['id']}", headers=instructor,
                           json={"is_published": True}).json()["course"]["is_published"] is True
        assert [c["id"] for c in httpx.get(f"{api}/api/courses?category=systems").json()["courses"]] == [course["id"]]
    finally:
        interrupt(process)
    for port in ports.values():
        assert not listening(port), f"port {port} is still served after Ctrl-C"
    # As root in a 0700 folder, the database files live where the `postgres` user can reach them.
    digest = hashlib.sha256(str((clone / ".local").resolve()).encode()).hexdigest()[:16]
    cluster = Path(pwd.getpwnam("postgres").pw_dir) / "learner-progress" / digest
    assert (cluster / "db" / "PG_VERSION").exists() == (os.geteuid() == 0)

    process = make_run(clone, env)
    try:
        wait_until_serving(process, ports["PORT"], timeout=120)
        assert httpx.post(f"{api}/api/learners", json={"userId": learner}).status_code == 409, "data survived"
    finally:
        interrupt(process)

    subprocess.run(["make", "reset"], cwd=clone, env=env, check=True, capture_output=True)
    assert not (clone / ".local").exists()
    assert not cluster.exists(), "make reset removes the database files wherever they were"


def test_a_command_without_its_settings_says_so_in_one_line(tmp_path):
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", str(ROOT / "app.py"), "catalog", "import",
                             str(ROOT / "supabase" / "catalog" / "demo.json")],
                            cwd=tmp_path, env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
                            capture_output=True, text=True)
    assert result.returncode != 0 and "Traceback" not in result.stderr + result.stdout
    assert "SUPABASE_SERVICE_ROLE_KEY is not set" in result.stderr
