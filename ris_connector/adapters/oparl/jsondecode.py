"""Turning OParl response bodies into JSON data, repairing what can be repaired.

* invalid JSON because of raw control characters (ALLRIS Braunschweig, quirk 16) is read
  leniently and the characters are counted, then removed from the values;
* ``NaN``/``Infinity``, numbers beyond a float and integers beyond Python's integer-text limit
  are read as null, and lone surrogate escapes (``"\\ud800"``, no valid text) as U+FFFD,
  each counted (:class:`JsonRepairs`): one such value must not cost the page;
* an HTML page where JSON was expected (status 200) is an error, not data; so is JSON nested
  deeper than the decoder goes (no traceback, a :class:`InvalidPayload` naming the URL);
* an OParl/vendor error object with HTTP 200 (more! rubin, quirk 30) is an error.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import orjson

from ris_connector.errors import InvalidPayload
from ris_connector.http import HttpResponse
from ris_connector.normalize.ids import short_type

#: Every digit becomes "0", each byte a number's digits may follow in JSON (``[ , :``, white
#: space, a sign, a point, an exponent) a space, every other byte "a". A run of 19 digits that may
#: be a number is then a plain substring: in valid JSON a digit after any other byte (a quote, a
#: slash, a letter) is text inside a string, such as a checksum or an id, which orjson reads
#: exactly (and invalid JSON is refused by orjson anyway).
_BEFORE_NUMBER = frozenset(b"[,: \t\r\n-+.eE")
_DIGITS_ONLY = bytes(0x30 if 0x30 <= c <= 0x39 else 0x20 if c in _BEFORE_NUMBER else 0x61 for c in range(256))
_DIGIT_RUN = b" " + b"0" * 19
_REFUSED = object()
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: A JSON escape of a UTF-16 surrogate (paired ones decode to one character, lone ones stay).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _decode_text(body: bytes) -> tuple[str, bool]:
    """The body as text, and whether it had to be read as cp1252 (it is no UTF-8)."""
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace"), True


def _fast_loads(body: bytes) -> Any:
    """The data of a JSON body through orjson (twice as fast as ``json``), or ``_REFUSED``.

    orjson turns integers beyond 64 bits into floats, so a body with a run of 19 or more
    digits that may be a number is refused (one ``translate`` and a substring search: cheaper
    than a regex; runs inside strings, such as ``sha1Checksum`` values, do not count);
    whatever orjson refuses (invalid UTF-8, NaN, raw control characters, lone surrogates,
    1e400) is refused too, and ``json`` then reads the text as before.
    """
    if _DIGIT_RUN in body.translate(_DIGITS_ONLY):
        return _REFUSED
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return _REFUSED


@dataclass
class JsonRepairs:
    """What was repaired while one body was decoded (each a counted notice of the adapter)."""

    control_characters: int = 0
    """Raw control characters inside strings (quirk 16), removed."""
    nonfinite: int = 0
    """``NaN``, ``Infinity`` and numbers beyond a float, read as null."""
    huge_integers: int = 0
    """Integers beyond Python's integer-text limit (4,300 digits), read as null."""
    lone_surrogates: int = 0
    """``\\ud800``-style escapes without their pair (no valid text), replaced by U+FFFD."""
    not_utf8: bool = False
    """The body is no UTF-8 (JSON must be) and was read as cp1252."""


def decode_json(resp: HttpResponse) -> tuple[Any, int]:
    """The JSON data of ``resp`` and the number of illegal control characters repaired."""
    data, repairs = decode_json_repairs(resp)
    return data, repairs.control_characters


def decode_json_repairs(resp: HttpResponse) -> tuple[Any, JsonRepairs]:
    """The JSON data of ``resp`` and what was repaired on the way (see :class:`JsonRepairs`).

    Raises :class:`InvalidPayload` for a body that is no JSON (HTML, empty, broken, nested
    deeper than the decoder goes) or an error object.
    """
    body = resp.content
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    data = _fast_loads(body) if body[:1] in (b"{", b"[") else _REFUSED
    repairs = JsonRepairs()
    if data is _REFUSED:
        data = _loads_text(resp, repairs)
    error = error_message(data)
    if error is not None:
        raise InvalidPayload(f"the server answered with an error object: {error}", url=resp.url)
    return data, repairs


def _loads_text(resp: HttpResponse, repairs: JsonRepairs) -> Any:
    """Decode the body as text (cp1252 where it is not UTF-8), refuse HTML, repair what JSON allows.

    Raw control characters, NaN/Infinity, numbers no float or integer holds and lone surrogate
    escapes are repaired and counted in ``repairs``; nesting deeper than the decoder's
    recursion limit is refused.
    """
    text, repairs.not_utf8 = _decode_text(resp.content)
    head = text.lstrip()[:200].lower()
    if not head:
        raise InvalidPayload(f"empty body with HTTP {resp.status} where JSON was expected", url=resp.url)
    if head.startswith("<"):
        kind = "an HTML page" if ("<html" in head or "<!doctype" in head or "<head" in head) else "XML/HTML"
        raise InvalidPayload(f"{kind} with HTTP {resp.status} where JSON was expected", url=resp.url)

    def constant(_name: str) -> None:
        repairs.nonfinite += 1

    def number(token: str) -> float | None:
        value = float(token)
        if math.isfinite(value):
            return value
        repairs.nonfinite += 1
        return None

    def integer(token: str) -> int | None:
        try:
            return int(token)
        except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
            repairs.huge_integers += 1
            return None

    hooks: dict[str, Any] = {"parse_constant": constant, "parse_float": number, "parse_int": integer}
    try:
        try:
            data = json.loads(text, **hooks)
        except json.JSONDecodeError as strict_error:
            try:
                data = json.loads(text, strict=False, **hooks)
            except json.JSONDecodeError:
                raise InvalidPayload(
                    f"invalid JSON (line {strict_error.lineno}, column {strict_error.colno}: {strict_error.msg})",
                    url=resp.url,
                ) from None
            repairs.control_characters = len(_ILLEGAL.findall(text))
    except RecursionError:
        raise InvalidPayload("invalid JSON: nested deeper than the decoder goes", url=resp.url) from None
    if _SURROGATE_ESCAPE.search(text):
        data = _replace_lone_surrogates(data, repairs)
    return data


def _replace_lone_surrogates(data: Any, repairs: JsonRepairs) -> Any:
    """``data`` with lone surrogates in strings and keys replaced by U+FFFD (no recursion)."""

    def fix(text: str) -> str:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            repairs.lone_surrogates += 1
            return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return text

    if isinstance(data, str):
        return fix(data)
    stack: list[Any] = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, str):
                    node[i] = fix(value)
                elif isinstance(value, (list, dict)):
                    stack.append(value)
        elif isinstance(node, dict):
            for key in list(node):
                value = node[key]
                if isinstance(value, str):
                    value = fix(value)
                elif isinstance(value, (list, dict)):
                    stack.append(value)
                fixed = fix(key)
                if fixed != key:
                    del node[key]
                node[fixed] = value
    return data


def error_message(data: Any) -> str | None:
    """The message of an OParl or vendor error object, or None if ``data`` is no error."""
    if not isinstance(data, dict):
        return None
    if short_type(data.get("type")) == "Error" or ("error" in data and "id" not in data and "data" not in data):
        parts = [str(data.get(k)) for k in ("error", "message", "debug") if data.get(k)]
        return "; ".join(parts) or json.dumps(data)[:200]
    return None
