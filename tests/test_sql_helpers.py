"""The small SQL helpers every read and write calls are inlined by the planner: a helper declared
stricter than its body (immutable around to_char, say) runs as a function call of its own, several
times slower, on every row it formats."""

from __future__ import annotations

import json

HOT_HELPERS = {"iso", "completion_row"}


def test_sql_helpers_are_inlined(db):
    helpers = db.execute(
        "select p.proname, array(select format_type(t, null) from unnest(p.proargtypes) t)"
        " from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang"
        " where n.nspname = 'private' and l.lanname = 'sql' and not p.proretset and p.pronargs > 0"
        "   and (p.provolatile = 'i' or p.proname = any(%s))", (list(HOT_HELPERS),)).fetchall()
    assert HOT_HELPERS <= {name for name, _ in helpers}
    not_inlined = []
    for name, types in helpers:
        # Arguments the planner cannot fold to constants, so that the call stays in the plan
        # unless it is inlined.
        args = ", ".join(f"(case when g > 1 then null end)::{type_}" for type_ in types)
        plan = db.execute(f"explain (verbose, format json) select private.{name}({args}) from generate_series(1, 2) g").fetchone()[0]
        if f"private.{name}(" in json.dumps(plan):
            not_inlined.append(name)
    assert not_inlined == []


def test_module_rollups_is_inlined_into_its_callers_plans(db):
    """The course roll-up reads its modules through private.module_rollups: inlined, its rows come
    from index scans in the caller's plan, not from a table function run on every call."""
    plan = json.dumps(db.execute(
        "explain (verbose, format json) select r.* from generate_series(1, 2) g"
        " cross join lateral private.module_rollups((case when g > 1 then null end)::uuid,"
        " (case when g > 1 then null end)::uuid) r").fetchone()[0])
    assert "module_lesson_totals" in plan and "private.module_rollups(" not in plan
