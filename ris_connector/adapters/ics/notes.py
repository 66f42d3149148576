"""Every deviation the ``ics`` adapter tolerates, by code, and the counter that reports them.

A repair or a dropped value never goes unseen: it is counted under its code, and the run
report shows the code, the count and the first example (``docs/sources/icalendar.md`` lists
them all with an example each; a test keeps that page and this table in step).
"""

from __future__ import annotations

from collections.abc import Iterator

from ris_connector.adapters.base import Notice
from ris_connector.notices import ics
from ris_connector.notices.registry import codes_of

#: code -> what happened and what the adapter did about it (from ``ris_connector.notices.ics``).
NOTICES: dict[str, str] = {code: f"{code.what}; {code.handling}" for code in codes_of(ics)}


class Notes:
    """Counts per code with the first example; bounded whatever the feed holds."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._examples: dict[str, str] = {}

    def add(self, code: str, example: str, count: int = 1) -> None:
        """Count ``count`` deviations of ``code``; the first example is kept."""
        if code not in NOTICES:
            raise KeyError(f"undocumented ics notice {code!r}")
        if code not in self._counts:
            self._counts[code] = 0
            self._examples[code] = example[:300]
        self._counts[code] += count

    def count(self, code: str) -> int:
        """How many ``code`` deviations were counted."""
        return self._counts.get(code, 0)

    def notices(self) -> Iterator[Notice]:
        """One :class:`Notice` per code, in code order; the counter is emptied."""
        for code in sorted(self._counts):
            yield Notice(code, f"{NOTICES[code]} (e.g. {self._examples[code]})", self._counts[code])
        self._counts.clear()
        self._examples.clear()
