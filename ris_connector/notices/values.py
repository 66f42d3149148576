"""Codes any adapter reports about single values: unreadable, placeholders, URLs, text encoding.

A bad value costs that value, never the record (``docs/repairs.md``): it is dropped or repaired
and counted under one of these codes.
"""

from __future__ import annotations

from ris_connector.notices.code import NoticeCode

INVALID_VALUE = NoticeCode(
    "invalid-value",
    "a value that cannot be read as its field's type, or that the record model refuses",
    "the value (in a list: the failing element) is dropped, the record kept",
)
PLACEHOLDER = NoticeCode(
    "placeholder",
    "a placeholder such as N/A, - or 'keine Angabe' where a value belongs (mapped sources)",
    "the field stays empty",
)
IMPLAUSIBLE_DATE = NoticeCode(
    "implausible-date",
    "a date outside the years 1000-9000 (placeholders such as 0001-01-01)",
    "dropped",
)
UNEXPECTED_STRUCTURE = NoticeCode(
    "unexpected-structure",
    "an object or a list where text or a date belongs",
    "dropped",
)
INVALID_REFERENCE = NoticeCode(
    "invalid-reference",
    "a reference that is no URL (text, an object without id, several values where one belongs)",
    "dropped",
)
MEETING_END_BEFORE_START = NoticeCode(
    "meeting-end-before-start",
    "a meeting that ends before it starts",
    "the end is dropped",
)
UNSAFE_URL = NoticeCode(
    "unsafe-url",
    "a URL field that is no absolute http(s) URL (javascript:, www.stadt.de)",
    "dropped; checked by the record models for every adapter",
)
URL_REPAIRED = NoticeCode(
    "url-repaired",
    "a URL field with whitespace in it",
    "repaired",
)
CONTROL_CHARACTERS = NoticeCode(
    "control-characters",
    "control characters that XML forbids",
    "removed",
    control_characters=True,
)
ENCODING_LABEL = NoticeCode(
    "encoding-label",
    "a charset label that does not fit the bytes (latin-1 on UTF-8, UTF-16 without a byte order mark)",
    "read by the bytes",
)
