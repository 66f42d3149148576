"""The adapter API: what an adapter receives and what it yields.

An adapter only reads and maps. It receives an :class:`AdapterContext` (the core's HTTP
client, a read-only view of its state, the clock, the source settings) and yields items:

* a :class:`~ris_connector.models.Record` for every object it read,
* :class:`Tombstone` for an object the source says was deleted,
* :class:`Rejected` for a payload it could not normalize (quarantined with its reason),
* :class:`Notice` for a deviation met and tolerated (counted in the report's warnings),
* :class:`MissingReference` for a referenced object the source does not have,
* :class:`Checkpoint` when a stream (one list) is complete: the engine commits the stream's
  new state in the same transaction as all data yielded before it.

Errors: raise :class:`~ris_connector.errors.SourceError` (or let the HTTP client raise it)
when the source cannot be read; the engine keeps what was committed and reports the run as
incomplete. Raise :class:`~ris_connector.errors.ConfigError` for bad options.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from ris_connector.clock import Clock
from ris_connector.errors import ConfigError
from ris_connector.http import HttpClient
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


Item = Record | Tombstone | Rejected | Notice | MissingReference | Checkpoint


class StateView(Protocol):
    """What an adapter may read of the engine's state for its source."""

    def stream_state(self, stream: str) -> Mapping[str, Any] | None:
        """The state committed with the last checkpoint of ``stream``, if any."""

    def known_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` the store already holds for this source."""


#: Notice codes starting with this end a list before its end: the run is then incomplete (the
#: list's state is not committed, nothing is deleted). See :class:`ListBudget`.
LIST_CUT = "list-limit"


@dataclass
class ListBudget:
    """The bounds of one list in one run, shared by the engine and the adapter.

    An adapter that reads pages stops a list after ``max_pages`` pages and yields a
    ``Notice`` whose code starts with :data:`LIST_CUT` (``list-limit-pages``). The engine counts
    the records of the list being read and sets ``exhausted`` (a message) when it reached
    ``max_records``; records after that are dropped, so an adapter should end the list as soon
    as it sees ``exhausted`` set, and start the next list after its ``Checkpoint``.
    """

    max_pages: int = 50_000
    max_records: int = 1_000_000
    exhausted: str | None = None


@dataclass(frozen=True)
class SourceSettings:
    """The core settings of one source that adapters may read."""

    name: str
    timezone: str = "Europe/Berlin"
    keep_raw: bool = False
    url: str | None = None


@dataclass
class AdapterContext:
    """Everything the core hands to an adapter."""

    source: SourceSettings
    http: HttpClient
    clock: Clock
    state: StateView
    full: bool = True
    """True for a full (reconciliation) run, False for an incremental one."""
    overlap: float = 3600.0
    """Seconds an incremental run reaches back before a stream's watermark."""
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("ris_connector.adapters"))
    list_budget: ListBudget = field(default_factory=ListBudget)
    """Pages and records one list may have in this run (``max_pages_per_list``, ``max_records_per_list``)."""


class AdapterOptions(BaseModel):
    """Base class of an adapter's options; unknown keys are configuration errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Adapter(ABC):
    """Base class of every adapter, built-in or third-party.

    Subclasses set ``name`` and ``Options`` and implement :meth:`fetch`. Register the class
    under the entry-point group ``ris_connector.adapters``.
    """

    name: ClassVar[str] = ""
    Options: ClassVar[type[AdapterOptions]] = AdapterOptions
    #: Short description shown by ``ris-connector adapters``.
    description: ClassVar[str] = ""
    #: True for sources that always deliver the complete listing (a calendar feed): every
    #: run is then a full run, so objects that vanished from the source are deleted.
    always_full: ClassVar[bool] = False

    def __init__(self, ctx: AdapterContext, options: AdapterOptions) -> None:
        self.ctx = ctx
        self.options = options

    @classmethod
    def parse_options(cls, raw: Mapping[str, Any]) -> AdapterOptions:
        """Validate raw options (from TOML or the CLI) into ``Options``; ConfigError if invalid."""
        try:
            return cls.Options.model_validate(dict(raw))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(options)'}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"adapter {cls.name!r}: invalid options: {problems}") from None

    @classmethod
    def requires_full_run(cls, options: AdapterOptions) -> bool:
        """True if every run must be a full run (a source without any change filter).

        The engine then treats each run as full, so records absent from a complete run are
        deleted. The default is False: the engine decides from ``full_sync_every``.
        """
        return False

    @abstractmethod
    def fetch(self) -> Iterator[Item]:
        """Read the source and yield items (see the module docstring)."""

    def fetch_one(self, record_id: str) -> Iterator[Item]:
        """Read one object by id (a reference that no list delivered).

        The default yields nothing: adapters without random access leave dangling
        references to the report.
        """
        return iter(())

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources; the HTTP client is closed by the engine."""


def quarantine_on_error(
    raw: Any, build: Callable[[], Iterable[Item]], *, type_name: str | None = None, ref: str | None = None
) -> Iterator[Item]:
    """Run ``build`` and yield its items, or one :class:`Rejected` if it raises a data error."""
    from ris_connector.errors import DataError

    try:
        items = list(build())
    except (DataError, ValidationError, ValueError, TypeError, KeyError, AttributeError) as exc:
        reason = _describe(exc)
        yield Rejected(reason=reason, raw=raw, type=type_name, ref=ref)
        return
    yield from items


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']} (got {str(err.get('input'))[:80]!r})"
            for err in exc.errors()
        )
    return f"{type(exc).__name__}: {exc}"
