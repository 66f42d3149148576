"""Text from sources, made safe for log lines, error messages and reports.

A source controls much of what ris-connector writes down: server messages, SOAP fault
strings, ids, URLs. Written as it came, such text could forge log lines (newlines), hide or
reorder what an operator reads (bidi overrides such as U+202E, other invisible format
characters), or fill logs, stdout and the stored run report with megabytes. Two helpers:

* :func:`for_log` escapes control, format and separator characters as ``\\xNN``/``\\uNNNN``;
* :func:`clip` cuts text to a length and says how long it was.

:class:`SanitizingHandler` applies :func:`for_log` to every record of the ``ris_connector``
loggers before any other handler (the CLI's or the application's) formats it.
"""

from __future__ import annotations

import logging
import re
import unicodedata

#: Characters escaped by :func:`for_log`: C0/C1 controls and DEL, the Unicode format
#: characters (bidi embeddings, overrides and isolates, zero-width characters, BOM) and the
#: line and paragraph separators, which some viewers break lines at.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")

#: Default length of source text inside a message (the brief's 300 characters).
MAX_TEXT = 300
#: Default length of a whole error message.
MAX_MESSAGE = 1000


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_log(text: object) -> str:
    """``text`` as one printable line: control, format and separator characters escaped.

    Escaping (rather than removing) keeps what the source sent visible to the operator. Other
    characters of Unicode category ``Cf`` (format) are escaped too, so that new invisible
    characters cannot slip through.
    """
    value = text if isinstance(text, str) else str(text)
    if value.isprintable() and not _UNSAFE.search(value):
        return value
    value = _UNSAFE.sub(_escape, value)
    if value.isprintable():
        return value
    return "".join(
        f"\\u{ord(c):04x}" if not c.isprintable() and unicodedata.category(c) in ("Cf", "Cc", "Zl", "Zp") else c
        for c in value
    )


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut to at most ``limit`` characters, ending ``… (N chars)`` when it was longer.

    The result is never longer than ``limit`` (so clipping twice changes nothing), unless
    ``limit`` is too small to hold the marker.
    """
    if len(text) <= limit:
        return text
    marker = f"… ({len(text)} chars)"
    return text[: max(0, limit - len(marker))] + marker


def safe_text(text: object, limit: int = MAX_TEXT) -> str:
    """Source text for a message: escaped by :func:`for_log`, then clipped to ``limit``."""
    return clip(for_log(text), limit)


class SanitizingHandler(logging.Handler):
    """Rewrites each record's message with :func:`for_log` and emits nothing itself.

    Attached to the ``ris_connector`` logger it runs before the handlers of the root logger
    (records propagate upwards and are the same objects), so every handler formats the escaped
    text. The message is formatted here once and ``args`` cleared (escaping twice changes
    nothing). Tracebacks are untouched.
    """

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)

    def handle(self, record: logging.LogRecord) -> bool:
        """Escape ``record``'s message in place; always lets it through."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a broken format string: leave it to the formatter
            return True
        record.msg = for_log(message)
        record.args = None
        return True

    def emit(self, record: logging.LogRecord) -> None:
        """Nothing: the record's other handlers write it."""


def install(logger: logging.Logger) -> None:
    """Put one :class:`SanitizingHandler` first among ``logger``'s handlers (idempotent)."""
    if not any(isinstance(h, SanitizingHandler) for h in logger.handlers):
        logger.handlers.insert(0, SanitizingHandler())
