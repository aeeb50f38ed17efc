"""Applies `supabase/migrations` and `supabase/seed.sql` the way the supabase CLI does.

Each pending migration runs in its own transaction and is recorded in
`supabase_migrations.schema_migrations (version, statements, name)`, so `supabase db push` and
`supabase migration list` agree with what the local runner applied.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

MIGRATION_NAME = re.compile(r"^(?P<version>\d{14})_(?P<name>.+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path


def discover(folder: Path) -> list[Migration]:
    """Every migration file in version order; a file not named `<14 digits>_<name>.sql` is an error."""
    migrations = []
    for path in sorted(folder.glob("*.sql")):
        match = MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"{path.name}: migration files are named <14-digit timestamp>_<name>.sql")
        migrations.append(Migration(match["version"], match["name"], path))
    return migrations


def split_statements(sql: str) -> list[str]:
    """Split SQL text into statements, honouring quotes, dollar quotes and comments."""
    statements, current = [], []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            current.append(sql[i:end])
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            current.append(sql[i:end])
            i = end
        elif ch in ("'", '"'):
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:
                        end += 2
                        continue
                    break
                end += 1
            current.append(sql[i : end + 1])
            i = end + 1
        elif ch == "$" and (tag := re.match(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$", sql[i:])):
            delimiter = tag.group(0)
            end = sql.find(delimiter, i + len(delimiter))
            end = n if end < 0 else end + len(delimiter)
            current.append(sql[i:end])
            i = end
        elif ch == ";":
            statement = "".join(current).strip()
            if _has_code(statement):
                statements.append(statement)
            current = []
            i += 1
        else:
            current.append(ch)
            i += 1
    statement = "".join(current).strip()
    if _has_code(statement):
        statements.append(statement)
    return statements


def _has_code(statement: str) -> bool:
    without_comments = re.sub(r"--[^\n]*|/\*.*?\*/", "", statement, flags=re.S)
    return bool(without_comments.strip())


def applied_versions(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute("select version from supabase_migrations.schema_migrations").fetchall()
    return {row[0] for row in rows}


class MigrationHistoryMismatch(RuntimeError):
    """The database's migration history names files the repository no longer has."""


def apply_pending(database_url: str, folder: Path) -> list[Migration]:
    """Apply every migration not yet recorded; return those applied now."""
    applied_now = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        done = applied_versions(conn)
        files = discover(folder)
        unknown = sorted(set(done) - {migration.version for migration in files})
        if unknown:
            # Migrations are append-only; a database made from files that no longer exist (the
            # one-time re-cut of 2026-11-23) cannot be brought forward, only rebuilt.
            raise MigrationHistoryMismatch(
                f"this database has migrations {', '.join(unknown)} that supabase/migrations no longer has; "
                "`make reset` rebuilds the local database from the current files"
            )
        for migration in files:
            if migration.version in done:
                continue
            sql = migration.path.read_text()
            with conn.transaction():
                conn.execute(sql)
                conn.execute(
                    "insert into supabase_migrations.schema_migrations (version, name, statements)"
                    " values (%s, %s, %s)",
                    (migration.version, migration.name, split_statements(sql)),
                )
            applied_now.append(migration)
    return applied_now


def apply_seed(database_url: str, seed: Path) -> bool:
    """Run seed.sql when it is new or changed since it last ran (recorded as the CLI records it)."""
    if not seed.exists():
        return False
    sql = seed.read_text()
    digest = hashlib.sha256(sql.encode()).hexdigest()
    path = f"supabase/{seed.name}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "select hash from supabase_migrations.seed_files where path = %s", (path,)
        ).fetchone()
        if row and row[0] == digest:
            return False
        with conn.transaction():
            conn.execute(sql)
            conn.execute(
                "insert into supabase_migrations.seed_files (path, hash) values (%s, %s)"
                " on conflict (path) do update set hash = excluded.hash",
                (path, digest),
            )
    return True
