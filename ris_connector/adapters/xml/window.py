"""Date windows for sources that filter by date: ``{since:FMT}`` and ``{until:FMT}`` placeholders."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
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


def window_for(
    *,
    now: datetime,
    full: bool,
    state: Mapping[str, Any] | None,
    overlap_s: float,
    days_back: int,
    days_ahead: int,
) -> Window:
    """Full runs reach ``days_back``; incremental runs start at the stream's watermark minus the overlap."""
    until = now + timedelta(days=days_ahead)
    since = now - timedelta(days=days_back)
    if not full and state and state.get("watermark"):
        with contextlib.suppress(ValueError):
            since = datetime.fromisoformat(str(state["watermark"])) - timedelta(seconds=overlap_s)
    return Window(since=since, until=until)
