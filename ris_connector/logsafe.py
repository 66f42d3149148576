"""Text from sources, made safe for log lines, error messages and reports.

A source controls much of what ris-connector writes down: server messages, SOAP fault
strings, ids, URLs. Written as it came, such text could forge log lines (newlines), hide or
reorder what an operator reads (bidi overrides such as U+202E, other invisible format
characters), or fill logs, stdout and the stored run report with megabytes. Two helpers:

* :func:`for_log` escapes control, format and separator characters as ``\\xNN``/``\\uNNNN``;
* :func:`clip` cuts text to a length and says how long it was;
* :func:`redact_url` masks user info and query values (except :data:`LOGGED_PARAMS`).

:class:`SanitizingHandler` applies :func:`for_log` and :func:`redact_url` (to every URL in the
text) to each record of the ``ris_connector`` loggers before any other handler (the CLI's or
the application's) formats it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

#: Characters escaped by :func:`for_log`: C0/C1 controls and DEL, the Unicode format
#: characters (bidi embeddings, overrides and isolates, zero-width characters, BOM) and the
#: line and paragraph separators, which some viewers break lines at.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")

#: Default length of source text inside a message (the brief's 300 characters).
MAX_TEXT = 300
#: Default length of a whole error message.
MAX_MESSAGE = 1000


#: Query parameters whose values are shown in logs and messages: the OParl 1.1 list filters
#: (``created_since``, ``created_until``, ``modified_since``, ``modified_until``,
#: ``omit_internal``), its page size ``limit``, and the pagination and scoping parameters
#: servers put into ``next`` links. Every other value is shown as ``***`` (compared lower-case).
LOGGED_PARAMS = frozenset(
    {
        "created_since",
        "created_until",
        "modified_since",
        "modified_until",
        "omit_internal",
        "limit",
        "page",
        "offset",
        "skip",
        "size",
        "pagesize",
        "per_page",
        "body",
    }
)
#: A URL inside log text: ends before white space, quotes, brackets and trailing punctuation.
_URL_IN_TEXT = re.compile(r"""https?://[^\s<>"'()\[\]]*[^\s<>"'()\[\].,;:!?]""", re.IGNORECASE)


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


def _redact_query(query: str) -> str:
    out = []
    for pair in query.split("&"):
        name, eq, value = pair.partition("=")
        masked = eq and value and name.lower() not in LOGGED_PARAMS
        out.append(f"{name}=***" if masked else pair)
    return "&".join(out)


def redact_url(url: str) -> str:
    """``url`` safe to log: user info shown as ``***@``, query values masked except
    :data:`LOGGED_PARAMS`, control characters escaped. Host and port are kept as written
    (IPv6 literals keep their brackets)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    query = _redact_query(parts.query) if parts.query else parts.query
    if netloc == parts.netloc and query == parts.query:
        return for_log(url)
    return for_log(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


def redact_urls(text: str) -> str:
    """``text`` with every http(s) URL in it passed through :func:`redact_url`."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group()), text)


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
        record.msg = for_log(redact_urls(message))
        record.args = None
        return True

    def emit(self, record: logging.LogRecord) -> None:
        """Nothing: the record's other handlers write it."""


def install(logger: logging.Logger) -> None:
    """Put one :class:`SanitizingHandler` first among ``logger``'s handlers (idempotent)."""
    if not any(isinstance(h, SanitizingHandler) for h in logger.handlers):
        logger.handlers.insert(0, SanitizingHandler())
