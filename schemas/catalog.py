"""The catalog file (JSON or YAML): themes > courses > modules > lessons > exercises."""

from __future__ import annotations

from typing import Any

from schemas import StrictBoolean, StrictFloat
from marshmallow import Schema, fields, validate

SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,99}$", error="Use lowercase letters, digits and dashes.")
TITLE = validate.Length(min=1, max=200)


class ItemSchema(Schema):
    id = fields.UUID(required=True)
    slug = fields.String(required=True, validate=SLUG)
    title = fields.String(required=True, validate=TITLE)
    position = fields.Integer(strict=True, validate=validate.Range(min=0))
    published = StrictBoolean()


class ExerciseSchema(ItemSchema):
    kind = fields.String(validate=validate.OneOf(["exercise", "quiz"]))
    maxScore = fields.Integer(strict=True, validate=validate.Range(min=1))
    passMark = StrictFloat(validate=validate.Range(min=0, max=1, min_inclusive=False))


class LessonSchema(ItemSchema):
    durationSeconds = fields.Integer(strict=True, validate=validate.Range(min=1))
    prerequisites = fields.List(fields.UUID())
    exercises = fields.List(fields.Nested(ExerciseSchema))


class ModuleSchema(ItemSchema):
    prerequisites = fields.List(fields.UUID())
    lessons = fields.List(fields.Nested(LessonSchema))


class CourseSchema(ItemSchema):
    """A course with the fields seed 001's course pages and filters use."""

    premium = StrictBoolean()
    description = fields.String(validate=validate.Length(max=5000))
    category = fields.String(validate=validate.Length(min=1, max=100))
    difficulty = fields.String(validate=validate.OneOf(["beginner", "intermediate", "advanced"]))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=50)), validate=validate.Length(max=20))
    thumbnailUrl = fields.Url(schemes={"http", "https"}, validate=validate.Length(max=1000))
    price = StrictFloat(validate=validate.Range(min=0, max=100_000))
    estimatedDurationHours = fields.Integer(strict=True, validate=validate.Range(min=1, max=10_000))
    modules = fields.List(fields.Nested(ModuleSchema))


class ThemeSchema(ItemSchema):
    courses = fields.List(fields.Nested(CourseSchema))


class CatalogSchema(Schema):
    themes = fields.List(fields.Nested(ThemeSchema), required=True)


catalog_schema = CatalogSchema()


def describe_errors(errors: dict, data: Any, path: str = "") -> list[str]:
    """Flatten marshmallow's nested errors into lines that name the item and the field:
    `themes[0].courses[1] (slug "js-basics"): title: Missing data for required field.`
    """
    lines = []
    for key, value in errors.items():
        child = data[key] if _has(data, key) else None
        here = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))
        if isinstance(value, dict):
            lines += describe_errors(value, child, here)
        else:
            owner, _, field = here.rpartition(".")
            label = _label(data) if isinstance(data, dict) else ""
            lines.append(f"{owner or '(file)'}{label}: {field}: {' '.join(map(str, value))}")
    return lines


def _has(data: Any, key: Any) -> bool:
    if isinstance(data, dict):
        return key in data
    return isinstance(data, list) and isinstance(key, int) and key < len(data)


def _label(item: dict) -> str:
    for name in ("slug", "id", "title"):
        if isinstance(item.get(name), str):
            return f' ({name} "{item[name]}")'
    return ""
