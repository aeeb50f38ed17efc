"""Response bodies encoded with orjson, the one JSON choice that is not the standard library's.

Flask's own provider encodes with `json.dumps`. orjson writes the same JSON in a fraction of its
time. What orjson does not encode itself (dates, Decimal, dataclasses: passed through) goes to
Flask's own default, so every value is written as before; text that is not ASCII is sent as
UTF-8 instead of `\\u` escapes, which every JSON parser reads the same. What orjson refuses (an
integer beyond 64 bits, a string with a lone surrogate) the standard library writes, as it always
did. Request bodies are still parsed by `json.loads`, which takes what clients send today
(measured in BENCHMARKS.md, round 8).
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider, with compact response bodies written by orjson."""

    sort_keys = False
    OPTIONS = (orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
               | orjson.OPT_APPEND_NEWLINE)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(obj)  # indented, for people reading it
        try:
            body = orjson.dumps(obj, default=self.default, option=self.OPTIONS)
        except orjson.JSONEncodeError:
            return super().response(obj)  # a huge integer or a lone surrogate: as the standard library writes it
        return self._app.response_class(body, mimetype=self.mimetype)
