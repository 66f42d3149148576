"""Turning OParl response bodies into JSON data, repairing what can be repaired.

* invalid JSON because of raw control characters (ALLRIS Braunschweig, quirk 16) is read
  leniently and the characters are counted, then removed from the values;
* an HTML page where JSON was expected (status 200) is an error, not data;
* an OParl/vendor error object with HTTP 200 (more! rubin, quirk 30) is an error.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from ris_connector.errors import InvalidPayload
from ris_connector.http import HttpResponse
from ris_connector.normalize.ids import short_type

#: Every digit becomes "0", everything else a space: a run of 19 digits is then a plain substring.
_DIGITS_ONLY = bytes(0x30 if 0x30 <= c <= 0x39 else 0x20 for c in range(256))
_DIGIT_RUN = b"0" * 19
_REFUSED = object()
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _decode_text(body: bytes) -> str:
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def _fast_loads(body: bytes) -> Any:
    """The data of a JSON body through orjson (twice as fast as ``json``), or ``_REFUSED``.

    orjson turns integers beyond 64 bits into floats, so a body with a run of 19 or more
    digits is refused (one ``translate`` and a substring search: cheaper than a regex);
    whatever orjson refuses (invalid UTF-8, NaN, raw control characters, lone surrogates,
    1e400) is refused too, and ``json`` then reads the text as before.
    """
    if _DIGIT_RUN in body.translate(_DIGITS_ONLY):
        return _REFUSED
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return _REFUSED


def decode_json(resp: HttpResponse) -> tuple[Any, int]:
    """The JSON data of ``resp`` and the number of illegal control characters repaired."""
    body = resp.content
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    data = _fast_loads(body) if body[:1] in (b"{", b"[") else _REFUSED
    repaired = 0
    if data is _REFUSED:
        data, repaired = _loads_text(resp)
    error = error_message(data)
    if error is not None:
        raise InvalidPayload(f"the server answered with an error object: {error}", url=resp.url)
    return data, repaired


def _loads_text(resp: HttpResponse) -> tuple[Any, int]:
    """Decode the body as text (cp1252 where it is not UTF-8), refuse HTML, repair control characters."""
    text = _decode_text(resp.content)
    head = text.lstrip()[:200].lower()
    if not head:
        raise InvalidPayload(f"empty body with HTTP {resp.status} where JSON was expected", url=resp.url)
    if head.startswith("<"):
        kind = "an HTML page" if ("<html" in head or "<!doctype" in head or "<head" in head) else "XML/HTML"
        raise InvalidPayload(f"{kind} with HTTP {resp.status} where JSON was expected", url=resp.url)
    try:
        return json.loads(text), 0
    except json.JSONDecodeError as strict_error:
        try:
            data = json.loads(text, strict=False)
        except json.JSONDecodeError:
            raise InvalidPayload(
                f"invalid JSON (line {strict_error.lineno}, column {strict_error.colno}: {strict_error.msg})",
                url=resp.url,
            ) from None
        return data, len(_ILLEGAL.findall(text))


def error_message(data: Any) -> str | None:
    """The message of an OParl or vendor error object, or None if ``data`` is no error."""
    if not isinstance(data, dict):
        return None
    if short_type(data.get("type")) == "Error" or ("error" in data and "id" not in data and "data" not in data):
        parts = [str(data.get(k)) for k in ("error", "message", "debug") if data.get(k)]
        return "; ".join(parts) or json.dumps(data)[:200]
    return None
