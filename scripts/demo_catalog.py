"""Writes the demo catalog (supabase/catalog/demo.json) and the seed that loads it (supabase/seed.sql).

Deterministic: ids are UUIDv5 of each item's path, so re-running changes nothing.
Run: .venv/bin/python scripts/demo_catalog.py
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMESPACE = uuid.UUID("6f1d3c3e-8a51-4d61-9f0e-2b7c1d0a9e55")

THEMES = {
    "web-development": ("Web development", {
        "html-css-foundations": ("HTML & CSS foundations", False,
            ["Document structure", "Styling with CSS", "Layout", "Responsive design"]),
        "javascript-essentials": ("JavaScript essentials", False,
            ["Values and types", "Functions", "The DOM", "Asynchronous JavaScript"]),
        "react-in-practice": ("React in practice", True,
            ["Components", "State and effects", "Routing", "Testing React"]),
    }),
    "data-science": ("Data science", {
        "python-for-data": ("Python for data", False,
            ["Python refresher", "NumPy", "pandas", "Plotting"]),
        "statistics-basics": ("Statistics basics", False,
            ["Describing data", "Probability", "Distributions", "Inference"]),
    }),
}

# Seed 001's course fields: (category, difficulty, price, hours, tags, description).
COURSE_DETAILS = {
    "html-css-foundations": ("web", "beginner", 0, 6, ["html", "css"],
                             "Structure and style web pages, from the first tag to responsive layouts."),
    "javascript-essentials": ("web", "beginner", 0, 10, ["javascript"],
                              "The language of the browser: values, functions, the DOM and async code."),
    "react-in-practice": ("web", "intermediate", 49, 12, ["javascript", "react"],
                          "Build, route and test real React applications."),
    "python-for-data": ("data", "beginner", 0, 8, ["python", "pandas"],
                        "Python for analysis: NumPy arrays, pandas frames and plots."),
    "statistics-basics": ("data", "intermediate", 0, 9, ["statistics"],
                          "Describe data, reason about chance and draw conclusions."),
}


def item_id(*path: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(path)))


def build() -> dict:
    themes = []
    for t_pos, (theme_slug, (theme_title, courses)) in enumerate(THEMES.items()):
        course_items = []
        for c_pos, (course_slug, (course_title, premium, module_titles)) in enumerate(courses.items()):
            modules = []
            for m_pos, module_title in enumerate(module_titles):
                module_slug = f"m{m_pos + 1}-" + module_title.lower().replace(" ", "-").replace("&", "and")
                count = 5 + (len(course_slug) + 3 * m_pos) % 6  # 5 to 10 lessons
                lessons = []
                for l_pos in range(count):
                    path = (theme_slug, course_slug, module_slug, f"lesson-{l_pos + 1}")
                    lesson = {
                        "id": item_id(*path),
                        "slug": f"lesson-{l_pos + 1}",
                        "title": f"{module_title}: part {l_pos + 1}",
                        "durationSeconds": 240 + 60 * ((l_pos * 7 + m_pos) % 10),
                    }
                    if l_pos == count - 1:
                        lesson["title"] = f"{module_title}: checkpoint"
                        lesson["exercises"] = [{
                            "id": item_id(*path, "quiz"), "slug": "quiz", "kind": "quiz",
                            "title": f"{module_title} quiz", "maxScore": 10, "passMark": 0.7,
                        }]
                    elif l_pos == 2:
                        lesson["exercises"] = [{
                            "id": item_id(*path, "exercise"), "slug": "exercise", "kind": "exercise",
                            "title": f"{module_title}: hands-on",
                        }]
                    lessons.append(lesson)
                module = {"id": item_id(theme_slug, course_slug, module_slug), "slug": module_slug,
                          "title": module_title, "lessons": lessons}
                if course_slug == "javascript-essentials" and m_pos > 0:
                    module["prerequisites"] = [modules[-1]["id"]]  # modules unlock in order
                modules.append(module)
            if course_slug == "html-css-foundations":
                first = modules[0]["lessons"]
                first[1]["prerequisites"] = [first[0]["id"]]  # part 2 after part 1
            if course_slug == "python-for-data":
                modules[1]["lessons"].append({
                    "id": item_id(theme_slug, course_slug, "draft"), "slug": "draft-lesson",
                    "title": "Work in progress: vectorisation tricks", "published": False,
                })
            category, difficulty, price, hours, tags, description = COURSE_DETAILS[course_slug]
            course_items.append({"id": item_id(theme_slug, course_slug), "slug": course_slug,
                                 "title": course_title, "premium": premium, "position": c_pos,
                                 "description": description, "category": category, "difficulty": difficulty,
                                 "tags": tags, "price": price, "estimatedDurationHours": hours,
                                 "modules": modules})
        themes.append({"id": item_id(theme_slug), "slug": theme_slug, "title": theme_title,
                       "position": t_pos, "courses": course_items})
    return {"themes": themes}


ACHIEVEMENTS = [
    ("First steps", "Complete your first lesson.", "footprints", "green", 10, {"type": "lessons_completed", "count": 1}),
    ("Ten down", "Complete ten lessons.", "layers", "blue", 50, {"type": "lessons_completed", "count": 10}),
    ("Quiz whiz", "Pass a quiz.", "check-circle", "purple", 20, {"type": "quizzes_passed", "count": 1}),
    ("Course finisher", "Complete a course.", "award", "gold", 100, {"type": "courses_completed", "count": 1}),
    ("Three-day streak", "Make progress three days in a row.", "flame", "orange", 30, {"type": "streak_days", "days": 3}),
    ("Hour of learning", "Spend an hour learning.", "clock", "teal", 25, {"type": "time_spent", "seconds": 3600}),
]


def achievements_sql() -> str:
    rows = ",\n  ".join(
        f"('{item_id('achievement', title)}', '{title}', '{description}', '{icon}', '{color}', {points}, "
        f"'{json.dumps(criteria)}')"
        for title, description, icon, color, points, criteria in ACHIEVEMENTS
    )
    return (
        "insert into public.achievements (id, title, description, icon, badge_color, points_value, criteria) values\n  "
        f"{rows}\non conflict (id) do update set title = excluded.title, description = excluded.description,\n"
        "  points_value = excluded.points_value, criteria = excluded.criteria;\n"
    )


DEMO_COURSE = ("web-development", "javascript-essentials")
DEMO_LEARNERS = 30


def demo_learners_sql(catalog: dict) -> str:
    """Demo data for the insight dashboard, clearly marked: 30 anonymous learners (ids are UUIDv5 of
    `demo-learner-N`) enrolled in JavaScript essentials over six weeks, at every stage, some long
    inactive, with quiz attempts. Written straight into the tables, with past times."""
    course = next(c for t in catalog["themes"] for c in t["courses"] if c["slug"] == DEMO_COURSE[1])
    lessons = [lesson for module in course["modules"] for lesson in module["lessons"] if lesson.get("published", True)]
    quizzes = [(lesson, exercise) for lesson in lessons for exercise in lesson.get("exercises", [])
               if exercise.get("kind") == "quiz"]
    rows = []
    demo_ids = [f"'{item_id('demo-learner', str(n))}'" for n in range(DEMO_LEARNERS)]
    for n in range(DEMO_LEARNERS):
        learner = item_id("demo-learner", str(n))
        weeks_ago = n % 6
        done = [0, 2, 5, 8, 12, len(lessons)][(n * 7) % 6] if n % 5 else min(len(lessons), 3 + n % 4)
        idle = [0, 1, 3, 9, 15, 25][(n * 5) % 6]
        rows.append(f"insert into public.learners (id, kind, created_at) values ('{learner}', 'browser', "
                    f"now() - interval '{weeks_ago * 7 + 7} days') on conflict do nothing;")
        rows.append(f"insert into public.enrollments (learner_id, course_id, source, enrolled_at) values ('{learner}', "
                    f"'{course['id']}', 'explicit', now() - interval '{weeks_ago * 7 + 1} days') on conflict do nothing;")
        for position, lesson in enumerate(lessons[:done]):
            at = f"now() - interval '{idle} days' - interval '{(done - position) * 20} minutes'"
            seconds = 120 + 37 * ((n + position) % 9)
            rows.append(
                "insert into public.lesson_progress (learner_id, lesson_id, status, completed_at, first_completed_at,"
                " completion_clock, progress_percentage, time_spent_seconds, last_accessed_at) values "
                f"('{learner}', '{lesson['id']}', 'completed', {at}, {at}, {at}, 100, {seconds}, {at}) on conflict do nothing;")
            rows.append(f"insert into public.lesson_device_time (learner_id, lesson_id, device_id, seconds) values "
                        f"('{learner}', '{lesson['id']}', 'demo', {seconds}) on conflict do nothing;")
        for lesson, exercise in quizzes:
            if lesson in lessons[:done]:
                score = 3 + (n * 3) % 8
                rows.append("insert into public.quiz_attempts (learner_id, course_id, exercise_id, lesson_id, quiz_key, score,"
                            f" max_score, passed, created_at) values ('{learner}', '{course['id']}', '{exercise['id']}',"
                            f" '{lesson['id']}', '{exercise['id']}', {score}, 10, {str(score >= 7).lower()},"
                            f" now() - interval '{idle} days');")
    rows.append(
        "update public.enrollments e set progress_percentage = (private.course_rollup(e.learner_id, e.course_id) ->> 'percent')::int,"
        " completed_at = case when private.course_rollup(e.learner_id, e.course_id) ->> 'status' = 'completed'"
        " then e.enrolled_at + interval '5 days' end"
        f" where e.course_id = '{course['id']}' and e.learner_id = any (array[{', '.join(demo_ids)}]::uuid[]);")
    return "-- Demo learners for the insight dashboard (demo data, see scripts/demo_catalog.py).\n" + "\n".join(rows) + "\n"


def seed_sql(catalog_json: str) -> str:
    return (
        "-- Demo data for `make run`: the catalog in supabase/catalog/demo.json, loaded through the\n"
        "-- same import function as `flask catalog import`, and the demo achievements.\n"
        "-- Generated by scripts/demo_catalog.py.\n"
        f"select public.import_catalog($catalog${catalog_json}$catalog$::jsonb);\n"
        + achievements_sql()
        + demo_learners_sql(json.loads(catalog_json))
    )


def main() -> None:
    catalog = json.dumps(build(), indent=2) + "\n"
    (ROOT / "supabase" / "catalog" / "demo.json").write_text(catalog)
    (ROOT / "supabase" / "seed.sql").write_text(seed_sql(json.dumps(build(), separators=(",", ":"))))


if __name__ == "__main__":
    main()
