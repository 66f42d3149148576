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

The sync mechanics every adapter needs are written once here: ``ctx.since(stream)`` is where an
incremental read starts, :meth:`Checkpoint.watermark` where the next one will, and
:func:`quarantine` turns the failure of one item into a :class:`Rejected`. The declarative
sources built on them are in :mod:`ris_connector.adapters.sdk`.
"""

from __future__ import annotations

import logging
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, Protocol, cast

from pydantic import BaseModel, ConfigDict, ValidationError
from typing_extensions import TypeVar

from ris_connector.clock import Clock
from ris_connector.errors import ConfigError, DataError, RisError
from ris_connector.http import HttpClient
from ris_connector.items import Checkpoint, Item, MissingReference, Notice, Rejected, Tombstone
from ris_connector.models import Record

__all__ = [
    "ITEM_ERRORS",
    "Adapter",
    "AdapterContext",
    "AdapterOptions",
    "Built",
    "Checkpoint",
    "Item",
    "MissingReference",
    "Notice",
    "Rejected",
    "SourceSettings",
    "StateView",
    "Tombstone",
    "describe_error",
    "quarantine",
    "read_watermark",
]

_log = logging.getLogger("ris_connector.adapters")


def read_watermark(state: Mapping[str, Any] | None) -> datetime | None:
    """The ``watermark`` of a stream's state as an aware datetime; None if absent or unreadable."""
    text = state.get("watermark") if state else None
    if not isinstance(text, str) or not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


class StateView(Protocol):
    """What an adapter may read of the engine's state for its source."""

    def stream_state(self, stream: str) -> Mapping[str, Any] | None:
        """The state committed with the last checkpoint of ``stream``, if any."""

    def known_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` the store already holds for this source."""


@dataclass
class ListBudget:
    """The bounds of one list in one run, shared by the engine and the adapter.

    An adapter that reads pages stops a list after ``max_pages`` pages and yields a
    ``Notice`` whose code has ``list_cut`` set (``notices.engine.LIST_LIMIT_PAGES``). The engine counts
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

    def since(self, stream: str) -> datetime | None:
        """Where an incremental read of ``stream`` starts: its watermark minus ``overlap``.

        None means "read the stream whole": a full run, a stream never checkpointed, or a
        watermark that cannot be read. The overlap covers clock skew between us and the source
        and objects whose change the source stamped late.
        """
        if self.full:
            return None
        mark = read_watermark(self.state.stream_state(stream))
        return None if mark is None else mark - timedelta(seconds=self.overlap)


class AdapterOptions(BaseModel):
    """Base class of an adapter's options; unknown keys are configuration errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


OptionsT = TypeVar("OptionsT", bound=AdapterOptions, default=AdapterOptions)
"""The options class of an adapter: ``class MyAdapter(Adapter[MyOptions])``."""


class Adapter(ABC, Generic[OptionsT]):
    """Base class of every adapter, built-in or third-party.

    Subclasses set ``name`` and implement :meth:`fetch`; an adapter with options names their
    class as the type argument (``class ZmsAdapter(Adapter[ZmsOptions])``), which sets
    ``Options`` and types ``self.options``. Register the class under the entry-point group
    ``ris_connector.adapters``.
    """

    name: ClassVar[str] = ""
    Options: ClassVar[type[AdapterOptions]] = AdapterOptions
    """The options class; filled from the type argument unless set explicitly."""
    #: Short description shown by ``ris-connector adapters`` (default: the class docstring's first line).
    description: ClassVar[str] = ""
    #: True for sources that always deliver the complete listing (a calendar feed): every
    #: run is then a full run, so objects that vanished from the source are deleted.
    always_full: ClassVar[bool] = False

    def __init__(self, ctx: AdapterContext, options: OptionsT) -> None:
        self.ctx = ctx
        self.options: OptionsT = options

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "Options" not in cls.__dict__:
            found = _options_argument(cls)
            if found is not None:
                cls.Options = found

    @classmethod
    def describe(cls) -> str:
        """``description``, else the first line of the class's own docstring."""
        doc = (cls.__doc__ or "").strip()
        return cls.description or (doc.splitlines()[0] if doc else "")

    @classmethod
    def parse_options(cls, raw: Mapping[str, Any]) -> OptionsT:
        """Validate raw options (from TOML or the CLI) into ``Options``; ConfigError if invalid."""
        try:
            # Options is the class of the type argument (__init_subclass__), which a ClassVar cannot say.
            return cast(OptionsT, cls.Options.model_validate(dict(raw)))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(options)'}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"adapter {cls.name!r}: invalid options: {problems}") from None

    @classmethod
    def requires_full_run(cls, options: OptionsT) -> bool:
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

    def close(self) -> None:
        """Release resources; the HTTP client is closed by the engine."""


def _options_argument(cls: type) -> type[AdapterOptions] | None:
    """The options class given as type argument to a generic adapter base, if any."""
    for base in getattr(cls, "__orig_bases__", ()):
        origin = typing.get_origin(base)
        if isinstance(origin, type) and issubclass(origin, Adapter):
            for arg in typing.get_args(base):
                if isinstance(arg, type) and issubclass(arg, AdapterOptions):
                    return arg
    return None


#: Exceptions that mean "this one item cannot be mapped" (a :class:`~ris_connector.errors.DataError`,
#: a pydantic ValidationError, a missing key, a wrong type, an impossible date); other
#: exceptions are bugs or run-level faults and are not swallowed.
ITEM_ERRORS: tuple[type[Exception], ...] = (
    DataError,
    ValidationError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    ArithmeticError,
)

Built = Item | Iterable[Item] | None
"""What mapping one item gives: an item, several, or None (nothing to yield)."""


def quarantine(
    raw: Any,
    build: Callable[[], Built],
    *,
    type_name: str | None = None,
    ref: str | None = None,
    what: str | None = None,
    personal: bool = False,
    errors: tuple[type[Exception], ...] = ITEM_ERRORS,
) -> list[Item]:
    """The items ``build()`` gives, or one :class:`Rejected` when it raises one of ``errors``.

    One bad item costs that item, never the run: the engine quarantines it with the reason and
    counts it. ``what`` starts the reason (``"event 101"``); ``ref`` is the record id, when it is
    known, so the store marks the record as seen, not deleted. ``personal``: the item is about a
    person, so the reason names fields, never values, and the quarantine keeps ``raw`` only as
    given (pass the id alone). Errors of the run (a :class:`~ris_connector.errors.SourceError`,
    a ConfigError) always pass through.
    """
    try:
        built = build()
        if built is None:
            return []
        if isinstance(built, (Record, Tombstone, Rejected, Notice, MissingReference, Checkpoint)):
            return [built]
        return list(built)
    except RisError as exc:
        if not isinstance(exc, DataError) or not isinstance(exc, errors):
            raise
        reason = describe_error(exc, personal=personal)
    except errors as exc:
        if not isinstance(exc, ITEM_ERRORS) and not personal:  # caught only because ``errors`` is wider
            _log.debug("%s: unexpected %r", what or ref or "item", exc, exc_info=True)
        reason = describe_error(exc, personal=personal)
    return [Rejected(reason=f"{what}: {reason}" if what else reason, raw=raw, type=type_name, ref=ref)]


def describe_error(exc: BaseException, *, personal: bool = False) -> str:
    """A quarantine reason for ``exc``: each invalid field with its problem (and, unless the
    data is ``personal``, the start of its value)."""
    if isinstance(exc, DataError):
        return str(exc)
    if isinstance(exc, ValidationError):
        if personal:
            fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
            return f"invalid value in {', '.join(fields)}"
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']} (got {str(err.get('input'))[:80]!r})"
            for err in exc.errors()
        )
    if personal:
        return type(exc).__name__
    first = str(exc).splitlines()[0][:160] if str(exc) else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
