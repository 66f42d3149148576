"""Which URLs ris-connector republishes: absolute ``http``/``https`` URLs, nothing else.

Sources are run by other people, and what they put in ``web``, ``accessUrl`` or ``downloadUrl``
ends up as links in the OParl output, the change feed, webhooks and Smart Village events.
A ``javascript:``, ``data:``, ``vbscript:`` or ``file:`` URL there would run script or read
files in a reader's browser or app. So a URL is accepted only by an allowlist: scheme ``http``
or ``https`` (any case), ``//``, a host, and no whitespace or control character anywhere. The
tricks browsers undo before they look at a scheme (leading spaces and controls, tabs and line
breaks inside ``java\\tscript:``, odd case) therefore never make a URL safe; character
references (``javascript&#58;``) are no URL at all.

Two repairs keep real URLs: surrounding whitespace is stripped, and spaces inside are encoded
as ``%20`` (vendors write file names with spaces). Fields that hold a URL *or* text (OParl
``license``, ``fileLicense``: "Datenlizenz Deutschland ...") keep text, but text that a browser
would read as a URL of another scheme (``word:...`` after its clean-up) is dropped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

from ris_connector.notices.values import UNSAFE_URL, URL_REPAIRED

#: An absolute http(s) URL with a host and no whitespace or control character (C0, DEL, C1).
_SAFE = re.compile(r"(?i:https?)://[^\s\x00-\x1f\x7f-\x9f/?#\\]+(?:[/?#][^\s\x00-\x1f\x7f-\x9f]*)?")
#: What browsers strip from both ends of a URL (C0 controls and space) and remove inside it.
_ENDS = "".join(chr(c) for c in range(0x21))
_INSIDE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")

#: Kinds of URL field (the models' ``URL_FIELDS`` values).
URL = "url"
"""Only an http(s) URL."""
URL_LIST = "url-list"
"""A list of http(s) URLs."""
URL_OR_TEXT = "url-or-text"
"""An http(s) URL or plain text that no browser takes for a URL."""


def _plain(url: str) -> bool:
    """A lower-case ``http(s)://host...`` of printable characters without spaces: safe (exactly
    what ``_SAFE`` says for such text; a few string methods cost less than the regex)."""
    if url.startswith("https://"):
        first = url[8:9]
    elif url.startswith("http://"):
        first = url[7:8]
    else:
        return False
    return first != "" and first not in "/?#\\" and url.isascii() and url.isprintable() and " " not in url


def is_safe_url(value: object) -> bool:
    """Whether ``value`` is an absolute http(s) URL that may be republished as it is."""
    return type(value) is str and _SAFE.fullmatch(value) is not None


def safe_url(value: object) -> str | None:
    """``value`` as a republishable http(s) URL (surrounding whitespace stripped, inner spaces
    encoded), or None when it is none."""
    if type(value) is not str:
        return None
    if _SAFE.fullmatch(value):
        return value
    text = value.strip().replace(" ", "%20")
    return text if _SAFE.fullmatch(text) else None


def has_foreign_scheme(text: str) -> bool:
    """Whether a browser would read ``text`` as a URL of a scheme other than http(s)."""
    cleaned = _INSIDE.sub("", text.strip(_ENDS))
    found = _SCHEME.match(cleaned)
    return found is not None and found.group().lower() not in ("http:", "https:")


def clean_value(kind: str, value: Any) -> tuple[Any, bool]:
    """(safe value, whether anything was dropped) for a field of ``kind``.

    The safe value is ``value`` itself when nothing had to change, a repaired URL, None
    (dropped), or for lists the list without unsafe items.
    """
    if value is None:
        return None, False
    if kind == URL_LIST:
        if not isinstance(value, list):
            return [], True
        kept = [u for u in (safe_url(v) for v in value) if u is not None]
        if len(kept) == len(value) and all(a is b for a, b in zip(kept, value, strict=True)):
            return value, False
        return kept, len(kept) != len(value)
    url = safe_url(value)
    if url is not None:
        return url, False
    if kind == URL_OR_TEXT and isinstance(value, str) and not _looks_like_url(value):
        return value, False
    return None, True


def clean_fields(values: MutableMapping[str, Any], kinds: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """Make the URL fields of ``values`` (field -> kind) safe in place; (code, field, value) of
    each value dropped (``unsafe-url``) or repaired (``url-repaired``)."""
    notes: list[tuple[str, str, str]] = []
    for name, kind in kinds.items():
        value = values.get(name)
        if value is None or value == [] or (value.__class__ is str and _plain(value)):
            continue  # the common case (no value, or a plain http(s) URL): no further call
        safe, lost = clean_value(kind, value)
        if safe is value:
            continue
        if lost:
            gone = [v for v in value if safe_url(v) is None] if isinstance(value, list) else [value]
            notes += [(UNSAFE_URL, name, str(v)) for v in gone]
        else:
            notes.append((URL_REPAIRED, name, str(value)))
        values[name] = safe
    return notes


def _looks_like_url(text: str) -> bool:
    """Text that claims to be a URL: a scheme (any), or ``//`` (scheme-relative); also once
    HTML character references are decoded (``javascript&#58;`` pasted into an attribute)."""
    for variant in (text, html.unescape(text)) if "&" in text else (text,):
        cleaned = _INSIDE.sub("", variant.strip(_ENDS))
        if has_foreign_scheme(variant) or cleaned.lower().startswith(("http:", "https:", "//", "\\\\")):
            return True
    return False


def drop_unsafe(obj: MutableMapping[str, Any], kinds: Iterable[tuple[str, str]]) -> list[str]:
    """Remove or repair the unsafe URL values of ``obj`` (JSON data) in place; the keys dropped.

    ``kinds``: (key, kind) pairs. The second line of defence of the outputs, for data stored
    before the check existed or written by other means than the sync engine.
    """
    dropped: list[str] = []
    for key, kind in kinds:
        if key not in obj:
            continue
        value, lost = clean_value(kind, obj[key])
        if lost:
            dropped.append(key)
        if value is None or (lost and value == []):
            obj.pop(key)
        elif value is not obj[key]:
            obj[key] = value
    return dropped


def drop_unsafe_changes(changes: dict[str, list[Any]], kinds: dict[str, str]) -> dict[str, list[Any]]:
    """A change event's ``{field: [old, new]}`` with unsafe URL values replaced by None."""
    out = changes
    for key, kind in kinds.items():
        pair = changes.get(key)
        if not isinstance(pair, list):
            continue
        cleaned = [clean_value(kind, v)[0] for v in pair]
        if any(a is not b for a, b in zip(cleaned, pair, strict=True)):
            out = dict(out) if out is changes else out
            out[key] = cleaned
    return out
