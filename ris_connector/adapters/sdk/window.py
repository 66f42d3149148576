"""Date windows for sources that filter by date (calendars, XML exports, SOAP services).

A window reaches ``days_back`` into the past on a full run, from the stream's incremental start
(``ctx.since(stream)``) on an incremental one, and ``days_ahead`` into the future. Templates
name its ends as ``{since:FMT}`` and ``{until:FMT}`` placeholders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

_PLACEHOLDER = re.compile(r"\{(since|until)(?::([^}]*))?\}")


def has_window(text: str) -> bool:
    """Whether ``text`` holds a ``{since...}`` or ``{until...}`` placeholder."""
    return bool(_PLACEHOLDER.search(text))


@dataclass(frozen=True)
class Window:
    """The date range one run asks for."""

    since: datetime
    until: datetime

    def fill(self, text: str) -> str:
        """Replace the placeholders (``{since:%d.%m.%Y}``; no format: ISO 8601)."""

        def sub(match: re.Match[str]) -> str:
            when = self.since if match.group(1) == "since" else self.until
            fmt = match.group(2)
            return when.strftime(fmt) if fmt else when.isoformat(timespec="seconds")

        return _PLACEHOLDER.sub(sub, text)

    def fill_value(self, value: Any) -> Any:
        """``fill`` for strings; a bare ``{since}``/``{until}`` becomes the datetime itself."""
        if not isinstance(value, str):
            return value
        if value in ("{since}", "{until}"):
            return self.since if value == "{since}" else self.until
        return self.fill(value)


def window_for(*, now: datetime, since: datetime | None, days_back: int, days_ahead: int) -> Window:
    """Full runs (``since`` None) reach ``days_back``; incremental runs start at ``since``."""
    return Window(since=since or now - timedelta(days=days_back), until=now + timedelta(days=days_ahead))


@dataclass(frozen=True)
class DateWindow:
    """The date range parameters of a calendar-like source: ``?from=2026-01-01&to=2027-01-01``.

    A full run asks from ``days_back`` days ago, an incremental run from its stream's
    ``ctx.since``; both until ``days_ahead`` days ahead. ``format`` is a ``strftime`` format
    (None: ISO 8601 with the offset).
    """

    since_param: str = "from"
    until_param: str = "to"
    days_back: int = 30
    days_ahead: int = 365
    format: str | None = "%Y-%m-%d"

    def params(self, now: datetime, since: datetime | None) -> dict[str, str]:
        """The query parameters of one run."""
        window = window_for(now=now, since=since, days_back=self.days_back, days_ahead=self.days_ahead)
        return {self.since_param: self._text(window.since), self.until_param: self._text(window.until)}

    def _text(self, when: datetime) -> str:
        return when.strftime(self.format) if self.format else when.isoformat(timespec="seconds")
