"""What every store offers the sync engine and the outputs, independent of the database."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from ris_connector.models import RECORD_TYPES, URL_JSON_FIELDS, Record
from ris_connector.urlsafe import drop_unsafe_changes


@dataclass(frozen=True)
class ChangeEvent:
    """One entry of the change feed."""

    seq: int
    at: str
    source: str
    run_id: int | None
    kind: str  # created | updated | deleted
    type: str
    id: str
    fields: list[str]
    changes: dict[str, list[Any]] = field(default_factory=dict)
    """For ``updated``: field -> [old value, new value] (JSON values)."""

    def to_json_dict(self) -> dict[str, Any]:
        """The event as the ``changes`` command prints it."""
        return {
            "seq": self.seq,
            "at": self.at,
            "source": self.source,
            "kind": self.kind,
            "type": self.type,
            "id": self.id,
            "fields": self.fields,
            "changes": drop_unsafe_changes(self.changes, URL_JSON_FIELDS),  # stored before URLs were checked
        }


@dataclass(frozen=True)
class StoredRow:
    """A record row as kept by the store."""

    id: str
    type: str
    source: str
    hash: str
    data: dict[str, Any]
    deleted: bool

    def to_record(self) -> Record:
        """The row as its pydantic model."""
        return RECORD_TYPES[self.type].model_validate(self.data)


@dataclass(frozen=True)
class RunInfo:
    """A sync run of one source."""

    run_id: int
    source: str
    started: str
    finished: str | None
    status: str
    full: bool
    report: dict[str, Any] | None


#: Statuses of runs that read the whole source; ``degraded``: more than ``max_quarantine_fraction``
#: of a type was quarantined (deletes and watermarks apply as for ``complete``).
READ_WHOLE_SOURCE = ("complete", "degraded")


def quarantine_key(ref: str | None, raw: str) -> str:
    """What the quarantine keeps one row per (with the source): the record's id, or for a
    payload without one a digest of the payload, so a record rejected on every run is one row."""
    if ref:
        return ref
    return "payload:" + hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@dataclass
class WriteBatch:
    """Everything one transaction writes; applied atomically by :meth:`Store.apply`."""

    source: str
    run_id: int
    now: str
    upserts: list[tuple[str, str, str, str, bool]] = field(default_factory=list)
    """(id, type, hash, data JSON, deleted) of new or changed rows."""
    seen: list[str] = field(default_factory=list)
    """Ids of unchanged rows read again in this run."""
    seen_rejected: list[str] = field(default_factory=list)
    """Ids of rows of this source whose copy in this run was quarantined: marked seen (the
    source still lists them, so no absence delete), their rejection kept."""
    events: list[tuple[str, str, str, list[str], dict[str, list[Any]]]] = field(default_factory=list)
    """(kind, type, id, fields, {field: [old, new]})."""
    refs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Source id -> its (field, target id) references, replacing what was stored."""
    aliases: list[tuple[str, str]] = field(default_factory=list)
    rehash: list[tuple[str, str]] = field(default_factory=list)
    """(id, hash) of rows whose content is unchanged but whose hash is now taken differently
    (volatile text removed): the hash is replaced and the row marked seen, nothing else."""
    quarantine: list[tuple[str | None, str | None, str, str]] = field(default_factory=list)
    """(type, ref, reason, raw JSON). The store keeps the latest rejection per source and
    :func:`quarantine_key`, and forgets it when a record of that id is written or seen."""
    prune_quarantine: bool = False
    """After a complete full run: drop the source's rejections from earlier runs (the source no
    longer delivers those payloads)."""
    missing: list[tuple[str, str | None, str]] = field(default_factory=list)
    """(id, referrer, reason)."""
    found: list[str] = field(default_factory=list)
    """Ids no longer missing."""
    states: dict[str, str] = field(default_factory=dict)
    """Stream -> state JSON, committed with this batch's data."""
    kv: dict[tuple[str, str], str] = field(default_factory=dict)
    """(namespace, key) -> value of the key-value table, committed with this batch's data."""

    def is_empty(self) -> bool:
        """Whether the batch would write nothing."""
        return not (
            self.upserts
            or self.seen
            or self.seen_rejected
            or self.rehash
            or self.events
            or self.refs
            or self.aliases
            or self.quarantine
            or self.missing
            or self.found
            or self.states
            or self.kv
            or self.prune_quarantine
        )

    def accepted(self) -> list[str]:
        """Ids this batch writes or marks seen: their earlier rejections are forgotten."""
        return [u[0] for u in self.upserts] + self.seen + [i for i, _ in self.rehash]


class Store(Protocol):
    """The persistence interface; SQLite and PostgreSQL implement it."""

    def close(self) -> None:
        """Close connections."""

    def lock_source(self, source: str, *, wait: bool = False) -> AbstractContextManager[None]:
        """Hold the per-source lock; LockedError if taken and ``wait`` is False."""

    # --- runs -------------------------------------------------------------
    def start_run(self, source: str, adapter: str, *, full: bool, started: str) -> int:
        """Record the start of a run; returns its id."""

    def finish_run(self, run_id: int, *, status: str, finished: str, report: Mapping[str, Any]) -> None:
        """Record the end of a run and its report."""

    def runs(self, source: str | None = None, limit: int = 20) -> list[RunInfo]:
        """Most recent runs first."""

    def last_complete_run(self, source: str, *, full_only: bool = False) -> RunInfo | None:
        """The newest run that read the whole source (status ``complete`` or ``degraded``;
        optionally: a full one)."""

    def sources(self) -> list[str]:
        """Names of all sources with runs."""

    # --- engine reads -----------------------------------------------------
    def get_hashes(self, ids: Iterable[str]) -> dict[str, tuple[str, bool, str, int]]:
        """id -> (hash, deleted, source, seen_run) for the ids the store holds; ``seen_run`` is
        the last run that wrote or saw the row."""

    def get_data(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """id -> stored JSON data."""

    def stream_states(self, source: str) -> dict[str, dict[str, Any]]:
        """Stream -> committed state for ``source``."""

    def resolve_aliases(self, ids: Iterable[str]) -> dict[str, str]:
        """alias -> id for those of ``ids`` that are known aliases."""

    def dangling_references(self, source: str, run_id: int, *, full: bool, limit: int) -> list[tuple[str, str]]:
        """(target id, referrer) of references of ``source`` that no record satisfies.

        In a full run, targets held but not seen in this run count too, so that objects
        fetched one by one are read again.
        """

    def unseen(self, source: str, run_id: int) -> list[tuple[str, str]]:
        """(id, type) of live records of ``source`` not seen in run ``run_id``."""

    def live_counts(self, source: str) -> dict[str, int]:
        """type -> number of live (not deleted) records of ``source``."""

    def apply(self, batch: WriteBatch) -> None:
        """Write ``batch`` in one transaction."""

    # --- outputs ----------------------------------------------------------
    def iter_rows(
        self, *, type_name: str | None = None, source: str | None = None, include_deleted: bool = False
    ) -> Iterator[StoredRow]:
        """Stored records, ordered by type and id."""

    def get(self, record_id: str) -> StoredRow | None:
        """One record by id or alias."""

    def changes(self, *, after: int = 0, limit: int | None = None, source: str | None = None) -> Iterator[ChangeEvent]:
        """The change feed after sequence number ``after``."""

    def record_times(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """id -> (first_seen, last_changed): when the store first held the record and when its
        content (or deletion) last changed, as ISO 8601 strings written by the engine."""

    def referrers(self, ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        """target id -> [(referring record id, field)] from the stored references."""

    def quarantined(self, source: str | None = None) -> list[dict[str, Any]]:
        """Quarantined payloads with their reasons: the latest rejection per record."""

    # --- monitoring (metrics, status page) ----------------------------------
    def record_counts(self) -> dict[tuple[str, str], int]:
        """(source, type) -> records held and not deleted."""

    def recent_changes(self, *, source: str | None = None, limit: int = 20) -> list[ChangeEvent]:
        """The newest ``limit`` events of the change feed (of ``source``), newest first."""

    def missing_references(self, source: str | None = None) -> list[dict[str, Any]]:
        """References that could not be resolved."""

    # --- small key-value state for outputs (consumer cursors, id maps, sent reminders) ---
    def kv_get(self, namespace: str, key: str) -> str | None:
        """The value stored under ``namespace``/``key``, if any."""

    def kv_set(self, namespace: str, key: str, value: str) -> None:
        """Store ``value`` under ``namespace``/``key`` (committed at once)."""

    def kv_items(self, namespace: str) -> dict[str, str]:
        """Every key and value of ``namespace``."""
