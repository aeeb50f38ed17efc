"""`flask catalog import`: idempotent upsert by id, a report, and rejection that changes nothing."""

from __future__ import annotations

import json

import pytest
import yaml

from services.errors import ServiceError
from tests.catalogs import course_tree, import_course


def run_import(app, tmp_path, tree, suffix=".json"):
    path = tmp_path / f"catalog{suffix}"
    path.write_text(yaml.safe_dump(tree) if suffix == ".yaml" else json.dumps(tree))
    return app.test_cli_runner().invoke(args=["catalog", "import", str(path)])


def test_import_reports_added_then_nothing_then_changes(app, tmp_path, db):
    course = course_tree((2, 3))
    first = run_import(app, tmp_path, course.tree, ".yaml")
    assert first.exit_code == 0, first.output
    assert "lessons: 5 added, 0 changed, 0 unpublished" in first.output
    again = run_import(app, tmp_path, course.tree)
    assert "lessons: 0 added, 0 changed, 0 unpublished" in again.output
    assert "modules: 0 added, 0 changed, 0 unpublished" in again.output

    course.modules[0]["lessons"][0]["title"] = "Renamed"
    del course.modules[1]["lessons"][2]
    changed = run_import(app, tmp_path, course.tree)
    assert "lessons: 0 added, 1 changed, 1 unpublished" in changed.output
    published = db.execute(
        "select count(*) filter (where l.published), count(*) from lessons l join modules m on m.id = l.module_id"
        " where m.course_id = %s", (course.course_id,)
    ).fetchone()
    assert published == (4, 5), "the dropped lesson is unpublished, not deleted"


def test_a_malformed_file_names_the_item_and_field_and_changes_nothing(app, tmp_path, db):
    course = course_tree((2,))
    course.modules[0]["lessons"][1]["slug"] = "Not A Slug"
    del course.modules[0]["title"]
    result = run_import(app, tmp_path, course.tree)
    assert result.exit_code != 0
    assert 'themes[0].courses[0].modules[0].lessons[1] (slug "Not A Slug"): slug:' in result.output
    assert 'themes[0].courses[0].modules[0] (slug "m0"): title: Missing data' in result.output
    assert db.execute("select count(*) from courses where id = %s", (course.course_id,)).fetchone()[0] == 0


def test_unknown_prerequisite_rolls_back_the_whole_import(app, tmp_path, db):
    course = course_tree((2,))
    course.modules[0]["lessons"][1]["prerequisites"] = ["00000000-0000-4000-8000-000000000000"]
    result = run_import(app, tmp_path, course.tree)
    assert result.exit_code != 0 and "prerequisite" in result.output
    assert db.execute("select count(*) from courses where id = %s", (course.course_id,)).fetchone()[0] == 0


def test_not_json_is_rejected(app, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{nope")
    result = app.test_cli_runner().invoke(args=["catalog", "import", str(path)])
    assert result.exit_code != 0 and "not valid JSON" in result.output


def test_the_demo_seed_is_a_realistic_catalog(db):
    themes, courses, premium = db.execute(
        "select (select count(*) from themes), (select count(*) from courses),"
        " (select count(*) from courses where is_premium)"
    ).fetchone()
    assert themes >= 2 and courses >= 5 and premium >= 1
    per_module = db.execute(
        "select min(n), max(n) from (select count(*) n from lesson_catalog lc join courses c on c.id = lc.course_id"
        " where c.slug in ('html-css-foundations','javascript-essentials','react-in-practice','python-for-data',"
        "'statistics-basics') and lc.counts group by lc.module_id) s"
    ).fetchone()
    assert per_module[0] >= 5 and per_module[1] <= 10
    assert db.execute("select count(*) from lessons where not published").fetchone()[0] >= 1
    assert db.execute("select count(*) from prerequisites").fetchone()[0] >= 1
    assert db.execute("select count(*) from exercises where kind = 'quiz'").fetchone()[0] >= 1


def test_the_seed_matches_the_demo_catalog_generator():
    from scripts import demo_catalog

    expected = demo_catalog.seed_sql(json.dumps(demo_catalog.build(), separators=(",", ":")))
    assert (demo_catalog.ROOT / "supabase" / "seed.sql").read_text() == expected


def test_a_prerequisite_cycle_is_refused_naming_its_lessons(app, db):
    course = course_tree((2, 1))
    (a, b), (c,) = course.modules[0]["lessons"], course.modules[1]["lessons"]
    a["prerequisites"] = [b["id"]]
    b["prerequisites"] = [c["id"]]
    course.modules[1]["prerequisites"] = [course.module_id(0)]  # c needs every lesson of module 0
    with pytest.raises(ServiceError) as refused:
        import_course(app, course)
    assert refused.value.status == 400 and refused.value.code == "prerequisite_cycle"
    assert set(refused.value.details["lessons"]) == {a["id"], b["id"], c["id"]}
    assert db.execute("select count(*) from lessons where id = %s", (a["id"],)).fetchone()[0] == 0, "nothing imported"
