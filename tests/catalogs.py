"""Small catalogs for tests, imported through the real import function (each in its own theme,
so imports never touch each other)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from services.catalog import import_catalog


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Course:
    theme_id: str
    course_id: str
    modules: list[dict]
    tree: dict = field(repr=False)

    def lessons(self, module: int) -> list[str]:
        return [lesson["id"] for lesson in self.modules[module]["lessons"]]

    def module_id(self, module: int) -> str:
        return self.modules[module]["id"]

    def lesson(self, module: int, index: int) -> dict:
        return self.modules[module]["lessons"][index]


def course_tree(lessons_per_module=(3, 2), premium=False) -> Course:
    """One theme, one course, modules with the given numbers of lessons."""
    theme_id, course_id = new_id(), new_id()
    modules = []
    for m, count in enumerate(lessons_per_module):
        modules.append({
            "id": new_id(), "slug": f"m{m}", "title": f"Module {m}", "position": m,
            "lessons": [
                {"id": new_id(), "slug": f"l{i}", "title": f"Lesson {m}.{i}", "position": i}
                for i in range(count)
            ],
        })
    tree = {"themes": [{
        "id": theme_id, "slug": f"t-{theme_id[:8]}", "title": "Test theme",
        "courses": [{"id": course_id, "slug": f"c-{course_id[:8]}", "title": "Test course",
                     "premium": premium, "modules": modules}],
    }]}
    return Course(theme_id, course_id, modules, tree)


def import_course(app, course: Course) -> dict:
    with app.app_context():
        return import_catalog(course.tree)
