"""The local stack looks to clients like Supabase: roles, gateway, migration history."""

from __future__ import annotations

import httpx
import pytest

from devstack import migrations
from devstack.stack import ANON_KEY, MIGRATIONS_DIR, SERVICE_ROLE_KEY


def test_every_migration_is_recorded_as_the_cli_records_it(db):
    rows = db.execute(
        "select version, name, statements from supabase_migrations.schema_migrations order by version"
    ).fetchall()
    files = migrations.discover(MIGRATIONS_DIR)
    assert [(r[0], r[1]) for r in rows] == [(m.version, m.name) for m in files]
    recorded = 0
    for (_, _, statements), migration in zip(rows, files, strict=True):
        assert statements == migrations.split_statements(migration.path.read_text())
        assert statements and all(statement.strip() for statement in statements)
        recorded += len(statements)
    assert recorded > len(files), "every file recorded whole: the splitter split nothing"


def test_a_database_made_from_migrations_the_repository_no_longer_has_is_refused(db, stack):
    """Migrations are append-only: an unknown recorded version asks for `make reset`, never guesses."""
    db.execute("insert into supabase_migrations.schema_migrations (version, name) values ('20000101000000', 'gone')")
    try:
        with pytest.raises(migrations.MigrationHistoryMismatch, match="20000101000000.*make reset"):
            migrations.apply_pending(stack.superuser_url, MIGRATIONS_DIR)
    finally:
        db.execute("delete from supabase_migrations.schema_migrations where version = '20000101000000'")


def test_statement_splitter_honours_quotes_dollar_quotes_and_comments():
    sql = """
      -- a comment; with a semicolon
      create function f() returns text language sql as $$ select 'a;b' $$;
      select 'it''s; fine';  /* block; comment */
      select $tag$ ; $tag$
    """
    assert migrations.split_statements(sql) == [
        "-- a comment; with a semicolon\n      create function f() returns text language sql as $$ select 'a;b' $$",
        "select 'it''s; fine'",
        "/* block; comment */\n      select $tag$ ; $tag$",
    ]


def test_roles_are_as_supabase_has_them(db):
    roles = dict(
        db.execute(
            "select rolname, array[rolsuper, rolbypassrls, rolinherit, rolcanlogin] from pg_roles"
            " where rolname in ('postgres', 'anon', 'authenticated', 'service_role', 'authenticator')"
        ).fetchall()
    )
    assert roles["postgres"][0] is False, "postgres is not a superuser on Supabase"
    assert roles["service_role"][1] is True, "service_role bypasses RLS"
    assert roles["authenticator"][2:] == [False, True], "authenticator: login, noinherit"
    assert not roles["anon"][3] and not roles["authenticated"][3]


def test_auth_functions_read_the_request_claims(db):
    with db.transaction():
        db.execute(
            """select set_config('request.jwt.claims',
               '{"sub": "8b1f2f7e-2c55-4f0a-9d3e-0a0b0c0d0e0f", "role": "authenticated"}', true)"""
        )
        uid, role, claims = db.execute("select auth.uid(), auth.role(), auth.jwt()").fetchone()
    assert str(uid) == "8b1f2f7e-2c55-4f0a-9d3e-0a0b0c0d0e0f"
    assert role == "authenticated" and claims["role"] == "authenticated"


def test_gateway_requires_a_known_apikey(stack):
    url = f"{stack.supabase_url}/rest/v1/"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url).json() == {"message": "No API key found in request"}
    assert httpx.get(url, headers={"apikey": "not-a-key"}).status_code == 401
    assert httpx.get(url, headers={"apikey": ANON_KEY}).status_code == 200


def test_service_functions_are_not_callable_with_the_anon_key(stack):
    url = f"{stack.supabase_url}/rest/v1/rpc/service_health"
    anon = httpx.post(url, headers={"apikey": ANON_KEY}, json={})
    assert anon.status_code in (401, 403, 404)
    service = httpx.post(url, headers={"apikey": SERVICE_ROLE_KEY}, json={})
    assert service.status_code == 200 and service.json()["migration"]


def test_a_failed_run_prints_the_end_of_each_service_log(tmp_path, capsys):
    from devstack.__main__ import print_service_logs

    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "redis.log").write_text("".join(f"redis line {n}\n" for n in range(1, 101)))
    (tmp_path / "logs" / "nginx-access.log").write_text("GET /rest/v1/ 200\n")
    print_service_logs(tmp_path)
    printed = capsys.readouterr().err.splitlines()
    assert printed[0] == "devstack: --- redis.log, its last 40 lines ---"
    assert printed[1:] == [f"redis line {n}" for n in range(61, 101)], "the access log is left out"
