"""Path parameters and the `userId` a seed client may send: parsed once, here, into the values
the services take, with a 400 that names the parameter as the seed contracts write it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.errors import ValidationFailed


@dataclass(frozen=True)
class PathParam:
    """How one path segment is read: its public name, its parser and its OpenAPI schema."""

    name: str
    parse: Callable[[str, str], Any]
    schema: dict = field(default_factory=lambda: {"type": "string"})

    def load(self, value: str) -> Any:
        return self.parse(value, self.name)


def as_uuid(value: Any, name: str) -> str:
    """A UUID in its canonical form, or 400 naming the parameter (seed 003: a bad id is 400)."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as error:
        raise ValidationFailed(f"{name} must be a UUID.", {"fields": {name: ["Not a valid UUID."]}}) from error


def as_key(value: str, name: str) -> str:
    """A client's own id (a tutorial's): any text of 1 to 255 characters."""
    if not 1 <= len(value) <= 255:
        raise ValidationFailed(f"{name} is too long.", {"fields": {name: ["At most 255 characters."]}})
    return value


BIGINT_MAX = 2**63 - 1


def as_number(value: str, name: str) -> int:
    """A row's bigint id, in ASCII digits as the OpenAPI pattern says (str.isdigit() alone also
    takes `¹`, which int() refuses, and `٣`, which int() reads as 3)."""
    if not (value.isascii() and value.isdigit()):
        raise ValidationFailed(f"{name} must be a number.", {"fields": {name: ["Not a number."]}})
    number = int(value)
    if number > BIGINT_MAX:
        raise ValidationFailed(f"{name} is too large.", {"fields": {name: [f"At most {BIGINT_MAX}."]}})
    return number


def uuid_param(name: str) -> PathParam:
    return PathParam(name, as_uuid, {"type": "string", "format": "uuid"})


TUTORIAL_ID = PathParam("tutorialId", as_key, {"type": "string", "minLength": 1, "maxLength": 255})
NOTIFICATION_ID = PathParam("notificationId", as_number, {"type": "string", "pattern": "^[0-9]+$"})
