"""What an adapter yields besides records: the items the sync engine consumes.

They sit below both the adapters and the mapping layer (``mapping/``, ``normalize/``) that
build them, so neither has to import the other; :mod:`ris_connector.adapters.base` re-exports
them for adapters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ris_connector.models import Record


@dataclass(frozen=True)
class Tombstone:
    """The source says this object is deleted."""

    id: str
    type: str | None = None


@dataclass(frozen=True)
class Rejected:
    """A payload that could not be normalized; quarantined with ``reason``."""

    reason: str
    raw: Any
    type: str | None = None
    ref: str | None = None


@dataclass(frozen=True)
class Notice:
    """A tolerated deviation (``code`` groups them in the report, e.g. ``oparl-q16``)."""

    code: str
    message: str
    count: int = 1


@dataclass(frozen=True)
class MissingReference:
    """A referenced object that the source does not deliver (404, not public, foreign host)."""

    id: str
    reason: str
    referrer: str | None = None


@dataclass(frozen=True)
class Checkpoint:
    """A stream is complete; ``state`` (JSON data) is committed with the data before it."""

    stream: str
    state: Mapping[str, Any] = field(default_factory=dict)
    type: str | None = None
    """The record type of the list's entries, where it has one: only records of this type count
    for the list's size (the evidence for absence deletes), not objects embedded in them."""
    size: int | None = None
    """How many entries the list held, where the adapter counts them (entries it skipped as
    copies of objects already yielded included). None: the records of ``type`` (or of every
    type) yielded since the last checkpoint are counted."""
    covers_from: datetime | None = None
    """Where the list shows a window of time (a calendar feed of the last weeks and the months
    ahead): the earliest start it still lists. After a full run, stored records of ``type`` (or
    of every type) that start before it and are absent have left the window, not the source:
    they are kept (``sync/window.py``)."""

    @classmethod
    def watermark(
        cls,
        stream: str,
        started: datetime,
        *,
        type: str | None = None,
        size: int | None = None,
        covers_from: datetime | None = None,
        **state: Any,
    ) -> Checkpoint:
        """The checkpoint of a stream read completely from ``started`` on (take it from
        ``ctx.clock.now()`` before the first request): the next incremental run starts there,
        minus the overlap (:meth:`~ris_connector.adapters.base.AdapterContext.since`). ``state``
        adds JSON values."""
        return cls(stream, {"watermark": started.isoformat(), **state}, type=type, size=size, covers_from=covers_from)


Item = Record | Tombstone | Rejected | Notice | MissingReference | Checkpoint
