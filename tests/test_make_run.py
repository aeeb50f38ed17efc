"""`make run` on a clean clone: it installs what is missing, serves the API, prints what runs
where, stops everything on Ctrl-C, keeps its data across restarts, and `make reset` wipes it.
(`make test` on a clean clone is what CI runs.)"""

from __future__ import annotations

import os
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
    """A folder the cluster's OS user can reach (pytest's tmp_path sits under a 0700 one)."""
    path = Path(tempfile.mkdtemp(prefix="make-run-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_make_run_on_a_clean_clone(workdir):
    clone = workdir / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    ports = {name: free_port() for name in ("PORT", "DB_PORT", "GATEWAY_PORT", "POSTGREST_PORT", "POSTGREST_ADMIN_PORT")}
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
    finally:
        interrupt(process)
    for port in ports.values():
        assert not listening(port), f"port {port} is still served after Ctrl-C"

    process = make_run(clone, env)
    try:
        wait_until_serving(process, ports["PORT"], timeout=120)
        assert httpx.post(f"{api}/api/learners", json={"userId": learner}).status_code == 409, "data survived"
    finally:
        interrupt(process)

    subprocess.run(["make", "reset"], cwd=clone, env=env, check=True, capture_output=True)
    assert not (clone / ".local").exists()
