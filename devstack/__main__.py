"""`python -m devstack run|test|reset|up`: what `make run`, `make test` and `make reset` do."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import jwt
import psycopg

from .migrations import MigrationHistoryMismatch
from .stack import ANON_KEY, JWT_SECRET, ROOT, SERVICE_ROLE_KEY, Stack, _wait_http, free_port

LOCAL = ROOT / ".local"


def local_stack() -> Stack:
    """The persistent stack of `make run`, on Supabase's usual local ports."""
    return Stack(
        root=LOCAL,
        db_port=int(os.environ.get("DB_PORT", 54322)),
        gateway_port=int(os.environ.get("GATEWAY_PORT", 54321)),
        postgrest_port=int(os.environ.get("POSTGREST_PORT", 54330)),
        postgrest_admin_port=int(os.environ.get("POSTGREST_ADMIN_PORT", 54331)),
        redis_port=int(os.environ.get("REDIS_PORT", 54379)),
        external_database_url=os.environ.get("DATABASE_URL") or None,
    )


def app_command(port: int, workers: int = 2, threads: int = 4, target: str = "app:create_app") -> list[str]:
    """granian (WSGI, `workers` processes of `threads` blocking threads) serving `target` (an app
    factory, or a module's `app`), or Flask's reloading debug server when FLASK_DEBUG=1. granian
    served this app 10 to 20 % faster than gunicorn with the same layout (BENCHMARKS.md). A
    worker that has not stopped 8 s after the server's stop signal (longer than a request takes,
    bounded by SUPABASE_TIMEOUT, 5 s by default) is killed: granian otherwise waits for it
    forever, and one worker here once never acted on its signal."""
    python = sys.executable
    if os.environ.get("FLASK_DEBUG") == "1":
        return [python, "-m", "flask", "--app", "app", "run", "--port", str(port)]
    return [
        python, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--blocking-threads", str(threads), "--workers-kill-timeout", "8",
        "--no-ws", "--log-level", "warning",
        *(["--factory"] if target.endswith("create_app") else []), target,
    ]


def start_app(stack: Stack, port: int, to_terminal: bool = False, extra_env=None) -> subprocess.Popen:
    """Serve the app against `stack`; its output goes to logs/app.log, or to the terminal."""
    metrics = stack.root / "metrics"
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir(parents=True)
    env = {**os.environ, **stack.env(), "PROMETHEUS_MULTIPROC_DIR": str(metrics), **(extra_env or {})}
    process = stack.spawn("app", app_command(port), env=env, cwd=ROOT, to_terminal=to_terminal)
    _wait_http(f"http://127.0.0.1:{port}/health", timeout=30)
    return process


def banner(stack: Stack, port: int) -> str:
    rows = [
        ("API", f"http://127.0.0.1:{port}"),
        ("Gateway (SUPABASE_URL)", stack.supabase_url),
        ("PostgREST", f"http://127.0.0.1:{stack.postgrest_port}"),
        ("Redis (rate limits)", stack.redis_url),
        ("Database URL", stack.database_url),
        ("JWT secret", JWT_SECRET),
        ("anon key", ANON_KEY),
        ("service_role key", SERVICE_ROLE_KEY),
        ("Data and logs", str(stack.root)),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"{label.rjust(width)}: {value}" for label, value in rows]
    return "\nLocal stack is running.\n\n" + "\n".join(lines) + "\n\nCtrl-C stops everything.\n"


def cmd_run(_: argparse.Namespace) -> int:
    stack = local_stack()
    port = int(os.environ.get("PORT", 5000))
    _exit_on_sigterm()
    try:
        stack.start(seed=True)
        app = start_app(stack, port, to_terminal=True)
        print(banner(stack, port), flush=True)
        app.wait()
    except KeyboardInterrupt:
        print("\nstopping the local stack ...", flush=True)
    except MigrationHistoryMismatch as error:
        print(f"make run: {error}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
    return 0


def cmd_up(_: argparse.Namespace) -> int:
    """Start the stack without the app and leave it running (tools, benchmarks)."""
    stack = local_stack()
    stack.start(seed=True)
    print(f"stack up: {stack.supabase_url}  state: {stack.state_file}")
    return 0


def cmd_down(_: argparse.Namespace) -> int:
    stack = local_stack()
    stack.load_pids()
    stack.stop()
    return 0


def cmd_reset(_: argparse.Namespace) -> int:
    stack = local_stack()
    stack.stop()
    shutil.rmtree(stack.cluster_root, ignore_errors=True)
    shutil.rmtree(stack.root, ignore_errors=True)
    print(f"removed {stack.root}: the next `make run` starts from the migrations and seed")
    return 0


def running_local_stack() -> Stack:
    """The stack `make run` (or `up`) started, with the ports it was started on."""
    stack = local_stack()
    if not stack.state_file.exists() or not stack.postgres_running():
        sys.exit("The local stack is not running: start it with `make run` (in another terminal).")
    return Stack.from_state(stack.state_file)


def cmd_exec(args: argparse.Namespace) -> int:
    """Run a command with the running local stack's settings (URL, keys, ports), whatever .env says."""
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        sys.exit("usage: python -m devstack exec -- COMMAND [ARG ...]")
    env = {**os.environ, **running_local_stack().env()}
    os.execvpe(command[0], command, env)


def cmd_user(args: argparse.Namespace) -> int:
    """A Supabase Auth user on the local stack (made once per email), with a role and a name, and
    an access token for it: printed alone on stdout, so that `$(make -s user ...)` captures it."""
    stack = running_local_stack()
    with psycopg.connect(stack.superuser_url, autocommit=True) as conn:
        row = conn.execute("select id from auth.users where email = %s", (args.email,)).fetchone()
        user_id = row[0] if row else uuid.uuid4()
        if not row:
            conn.execute(
                "insert into auth.users (id, aud, role, email, raw_user_meta_data)"
                " values (%s, 'authenticated', 'authenticated', %s, jsonb_build_object('full_name', %s::text))",
                (user_id, args.email, args.name or ""))
        conn.execute("update public.profiles set role = %s, full_name = coalesce(%s, full_name) where id = %s",
                     (args.role, args.name, user_id))
    now = int(time.time())
    token = jwt.encode({"sub": str(user_id), "aud": "authenticated", "role": "authenticated", "email": args.email,
                        "iat": now, "exp": now + args.hours * 3600}, JWT_SECRET, algorithm="HS256")
    print(f"{args.role} {args.email} ({user_id}): an access token valid {args.hours} h follows", file=sys.stderr)
    print(token)
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    """Throwaway stack on free ports; pgTAP, curl smoke and pytest against it; tear down."""
    root = Path(tempfile.mkdtemp(prefix="progress-stack-"))
    os.chmod(root, 0o755)
    stack = Stack.throwaway_stack(root)
    _exit_on_sigterm()
    failures, finished = [], False
    try:
        started = time.monotonic()
        stack.start(seed=True)
        print(f"devstack: throwaway stack up in {time.monotonic() - started:.1f}s at {root}", flush=True)
        env = {**os.environ, **stack.env()}

        if run_pgtap(stack, env) != 0:
            failures.append("pgTAP")
        failures += run_live_checks(stack, env)
        pytest = subprocess.run([sys.executable, "-m", "pytest", *args.pytest_args], cwd=ROOT, env=env)
        if pytest.returncode != 0:
            failures.append("pytest")
        finished = True
    finally:
        stack.stop()
        if failures or not finished:
            print_service_logs(root)
        shutil.rmtree(root, ignore_errors=True)
    if failures:
        print(f"devstack: FAILED: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


def print_service_logs(root: Path, lines: int = 40) -> None:
    """The end of each service's log (access logs aside), printed when a test run fails: the
    throwaway stack's logs go with it, and a failure seen once in CI is otherwise left without
    its evidence."""
    for log in sorted((root / "logs").glob("*.log")):
        if log.name.endswith("-access.log"):
            continue
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        print(f"devstack: --- {log.name}, its last {len(tail)} lines ---", *tail, sep="\n", file=sys.stderr)


def run_pgtap(stack: Stack, env: dict[str, str]) -> int:
    tests = sorted((ROOT / "supabase" / "tests" / "database").glob("*.sql"))
    print(f"devstack: pgTAP ({len(tests)} files)", flush=True)
    return subprocess.run(
        ["pg_prove", "--ext", ".sql", "-d", stack.superuser_url, *map(str, tests)],
        cwd=ROOT,
        env=env,
    ).returncode


def run_live_checks(stack: Stack, env: dict[str, str]) -> list[str]:
    """Against the app as `make run` serves it: the curl smoke script, then schemathesis fuzzing
    the live API against its OpenAPI document. (Rate limits off: pytest tests them on their own.)"""
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    start_app(stack, port, extra_env={"RATELIMIT_ENABLED": "false"})
    failures = []
    try:
        print("devstack: curl smoke (scripts/smoke.sh)", flush=True)
        if subprocess.run(["bash", "scripts/smoke.sh", api], cwd=ROOT, env=env).returncode:
            failures.append("curl smoke")
        print("devstack: schemathesis against /openapi.json", flush=True)
        token = httpx.post(f"{api}/api/learners", json={"userId": str(uuid.uuid4())}).json()["token"]
        fuzz = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"), "run", f"{api}/openapi.json",
                "--header", f"Authorization: Bearer {token}",
                "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                            "response_schema_conformance,negative_data_rejection",
                "--max-examples", os.environ.get("FUZZ_EXAMPLES", "10"),
                "--exclude-path-regex", "^/(demo|certificates/)",
                "--request-timeout", "10", "--no-color",
                # One worker: two threads of the coverage phase hit a CPython 3.11 ast.parse race
                # ("AST constructor recursion depth mismatch") inside hypothesis.
                "--workers", "1",
            ],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )
        print("\n".join(line for line in fuzz.stdout.splitlines()[-22:]), flush=True)
        if fuzz.returncode:
            print(fuzz.stdout[-20000:], fuzz.stderr[-4000:], flush=True)
            failures.append("schemathesis")
    finally:
        stack.stop_app()
    return failures


def _exit_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so that `finally` stops the stack (never stop it from inside
    a signal handler: the interrupted `Popen.wait()` holds a lock the handler would need)."""

    def raise_keyboard_interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the local stack and serve the API").set_defaults(func=cmd_run)
    sub.add_parser("up", help="start the local stack only").set_defaults(func=cmd_up)
    sub.add_parser("down", help="stop a stack started with `up`").set_defaults(func=cmd_down)
    sub.add_parser("reset", help="wipe the local stack's data").set_defaults(func=cmd_reset)
    run_in = sub.add_parser("exec", help="run a command with the running local stack's settings")
    run_in.add_argument("command", nargs=argparse.REMAINDER)
    run_in.set_defaults(func=cmd_exec)
    user = sub.add_parser("user", help="make a local Supabase Auth user and print an access token")
    user.add_argument("email")
    user.add_argument("--role", choices=["student", "instructor", "admin"], default="student")
    user.add_argument("--name", default=None)
    user.add_argument("--hours", type=int, default=24)
    user.set_defaults(func=cmd_user)
    test = sub.add_parser("test", help="run every test against a throwaway stack")
    test.add_argument("pytest_args", nargs="*", help="passed to pytest after `--`")
    test.set_defaults(func=cmd_test)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
