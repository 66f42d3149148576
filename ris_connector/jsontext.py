"""JSON text for records, hashes and events, written by orjson where the result is identical.

orjson writes strings, integers, booleans and nesting byte for byte as ``json.dumps`` with
``ensure_ascii=False`` and compact separators does, at a tenth of the cost. It writes some
floats differently (``1e16`` for ``1e+16``) and refuses integers beyond 64 bits; text that
feeds a content hash must not change between versions, so :func:`canonical` falls back to
``json.dumps`` wherever a float can be (nested objects such as GeoJSON, float values) and for
anything orjson refuses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

_SORTED = orjson.OPT_SORT_KEYS
#: Value types at the top of a record's content that may hold floats (GeoJSON, free JSON).
#: Lists in records hold strings only (tests/test_jsontext.py checks every model field).
_MAY_HOLD_FLOAT = frozenset({dict, float})


def canonical(content: Mapping[str, Any]) -> bytes:
    """UTF-8 JSON with sorted keys and no spaces: the text a record's content hash is taken of."""
    if _MAY_HOLD_FLOAT.isdisjoint(map(type, content.values())):  # exact types: data from model_dump
        try:
            return orjson.dumps(content, option=_SORTED)
        except TypeError:  # not JSON data orjson takes (integers beyond 64 bits, lone surrogates)
            pass
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def compact(data: Any) -> str:
    """JSON text without spaces, non-ASCII kept, for storage (read back with ``json.loads``)."""
    try:
        return orjson.dumps(data).decode("utf-8")
    except TypeError:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)
