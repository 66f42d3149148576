"""The sync engine: runs one adapter over one source into one store.

Identity, change detection, state and deletes are decided here, so every adapter gets the
same guarantees:

* records are upserted by id; an unchanged content hash writes nothing and emits no event;
* each batch is one transaction holding the data, its change events and, at a checkpoint,
  the stream state that covers it: state is never ahead of data; a batch is written when it
  holds ``batch_size`` items (records, quarantine rows, tombstones, missing references) or
  ``max_batch_bytes`` of them, whichever comes first;
* ids belong to their source (``sync/ownership.py``); an id another source holds is not
  overwritten and makes the run degraded;
* a run is bounded: ``max_run_time`` in all, ``max_pages_per_list``/``max_records_per_list``
  per list; past a bound the run keeps what it read and is incomplete;
* deletes come from tombstones, or from absence after a complete full run only;
* references no list delivered are fetched one by one; what cannot be had is recorded.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from ris_connector.adapters.base import (
    Adapter,
    AdapterContext,
    Checkpoint,
    Item,
    ListBudget,
    MissingReference,
    Notice,
    Rejected,
    SourceSettings,
    Tombstone,
)
from ris_connector.adapters.registry import load_adapter
from ris_connector.clock import Clock, SystemClock
from ris_connector.config import SourceConfig
from ris_connector.errors import (
    ConfigError,
    ForbiddenUrl,
    LimitExceeded,
    NotFound,
    RisError,
    SourceError,
    TransientError,
    redact_url,
)
from ris_connector.http import HttpClient
from ris_connector.jsontext import compact
from ris_connector.logsafe import safe_text
from ris_connector.models import NON_CONTENT_FIELDS, RECORD_TYPES, Provenance, Record
from ris_connector.models.base import content_of, digest_of_content
from ris_connector.notices import describe
from ris_connector.notices.engine import (
    COPIES_NOT_HELD,
    FOREIGN_ID,
    FOREIGN_ID_REHOMED,
    FOREIGN_REFERENCE_REHOMED,
    ID_CONFLICT,
    INDIVIDUAL_FETCH_LIMIT,
    LEFT_WINDOW,
    LIST_LIMIT_RECORDS,
    LIST_SHRANK,
    MASS_DELETE_REFUSED,
    NO_ABSENCE_DELETES,
    OLDER_COPY,
)
from ris_connector.store.base import READ_WHOLE_SOURCE, Store, WriteBatch
from ris_connector.sync.copies import age_order, merge_copies, modified_of
from ris_connector.sync.evidence import SIZES_NAMESPACE, ListSizes
from ris_connector.sync.ownership import Ownership
from ris_connector.sync.report import RunReport
from ris_connector.sync.safety import admit, note_message
from ris_connector.sync.volatile import VolatileText
from ris_connector.sync.window import outside_windows

log = logging.getLogger(__name__)

#: progress(stream or phase, records processed so far)
ProgressFn = Callable[[str, int], None]

#: Copies held back for a later copy of the same object (see ``SyncEngine._judge``); past this
#: many the engine writes them at once, as if no other copy were to come.
_MAX_HELD = 10_000
#: A stored ``modified`` further ahead of the clock than this is no evidence that a copy is old.
_FUTURE_SLACK = timedelta(days=1)
#: Quarantined records logged at WARNING per run; the rest at DEBUG (the report counts them all).
_LOGGED_REJECTIONS = 100
#: What an item costs in a batch besides its strings (tuple, list slot, small values).
_ITEM_OVERHEAD = 64


def approx_bytes(value: Any) -> int:
    """About the bytes a record's or payload's values hold: the length of every string, plus a
    little per value, over nested lists, dicts and models (cheap: no serialization)."""
    total = 0
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            total += len(v) + 8
        elif isinstance(v, dict):
            total += 16 * len(v)
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            total += 8 * len(v)
            stack.extend(v)
        elif hasattr(v, "__dict__") and not isinstance(v, type):
            stack.extend(vars(v).values())
        else:
            total += 8
    return total


_SCALARS = frozenset({type(None), bool, int, float, datetime, date})


def record_bytes(record: Record) -> int:
    """:func:`approx_bytes` of a record, with its usual fields (None, strings, lists of strings,
    scalars, dates, the provenance) taken in one pass: about 1.3 microseconds a record."""
    total = 0
    for value in record.__dict__.values():
        if value is None:  # most fields of most records
            total += 8
            continue
        kind = type(value)
        if kind is str:
            total += len(value)
        elif kind is list:
            total += 8 * len(value)
            for x in value:
                total += len(x) if type(x) is str else approx_bytes(x)
        elif kind in _SCALARS:
            total += 8
        elif kind is Provenance:  # every record has one: its four strings and a time
            total += 40 + len(value.source) + len(value.adapter) + len(value.original_id or "") + len(value.url or "")
        elif isinstance(value, str):  # a str enum (Meeting.status): what approx_bytes counts for it
            total += len(value) + 8
        else:
            total += approx_bytes(value)
    return total


@dataclass(slots=True)
class _Copy:
    """One copy of a record as this run received it, ready to be compared and written."""

    rec: Record
    data: dict[str, Any]
    modified: datetime | None


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def _content(record_data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record_data.items() if k not in _NON_CONTENT_JSON}


_NON_CONTENT_JSON = {"provenance", "raw", "created", "modified"} | NON_CONTENT_FIELDS


def changed_fields(
    old: Mapping[str, Any], new: Mapping[str, Any], volatile: VolatileText | None = None
) -> dict[str, list[Any]]:
    """JSON name -> [old, new] of fields whose content differs between two stored versions.

    With ``volatile``, values that differ only in volatile text do not count.
    """
    a, b = _content(old), _content(new)
    out = {}
    for k in sorted(a.keys() | b.keys()):
        va, vb = a.get(k), b.get(k)
        if va == vb or (not va and not vb):
            continue
        if volatile is not None and volatile.value(va) == volatile.value(vb):
            continue
        out[k] = [va, vb]
    return out


def unexpected_error(source: str, exc: BaseException, adapter: Adapter | None) -> str:
    """One line for an exception no part classified: the source, what it was reading, the error.

    Adapters name what they read in ``reading`` (a URL, a document, an operation); the text of
    the exception is cut short (it may quote a whole hostile value) and never raises itself.
    """
    reading = getattr(adapter, "reading", None) if adapter is not None else None
    if isinstance(reading, str) and reading.startswith(("http://", "https://")):
        reading = redact_url(reading)  # never a credential in a log line
    where = f" while reading {reading}" if isinstance(reading, str) and reading else ""
    try:
        text = safe_text(" ".join(str(exc).split()))  # escaped (no forged log lines), clipped
    except Exception:  # e.g. an integer too long to print
        text = ""
    return f"[{source}] failed{where}: unexpected {type(exc).__name__}" + (f": {text}" if text else "")


def _writing_behind(store: Store) -> contextlib.AbstractContextManager[None]:
    """The store's ``writing_behind`` block where it has one (SQLite), else nothing."""
    behind: Callable[[], contextlib.AbstractContextManager[None]] | None = getattr(store, "writing_behind", None)
    return behind() if behind is not None else contextlib.nullcontext()


def _close_quietly(adapter: Adapter, source: str) -> None:
    """Let the adapter release its resources; a failure there must not hide the run's outcome."""
    try:
        adapter.close()
    except Exception as exc:
        log.warning("%s: adapter close failed: %s", source, type(exc).__name__)


class _State:
    """The read-only state view an adapter gets."""

    def __init__(self, store: Store, source: str) -> None:
        self._store = store
        self._source = source
        self._streams = store.stream_states(source)

    def stream_state(self, stream: str) -> Mapping[str, Any] | None:
        return self._streams.get(stream)

    def known_ids(self, ids: Iterable[str]) -> set[str]:
        found = self._store.get_hashes(ids)
        return {i for i, (_, deleted, src, _) in found.items() if src == self._source and not deleted}


class SyncEngine:
    """Runs one source once. Create a new engine per run."""

    def __init__(
        self,
        config: SourceConfig,
        store: Store,
        *,
        clock: Clock | None = None,
        adapter_cls: type[Adapter] | None = None,
        http: HttpClient | None = None,
        progress: ProgressFn | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock or SystemClock()
        self.adapter_cls = adapter_cls or load_adapter(config.adapter)
        self.options = self.adapter_cls.parse_options(config.options)
        self._http = http
        self._progress = progress
        self._pending: list[Record] = []
        self._tombstones: list[Tombstone] = []
        self._batch: WriteBatch | None = None
        self._processed = 0
        self._volatile = VolatileText(config.ignore_changes)
        self._held: dict[str, _Copy] = {}
        """Copies waiting for another copy of the same object (see ``_judge``)."""
        self._held_states: dict[str, str] = {}
        """Stream states not committed while copies are held, so that state is never ahead of data."""
        self._lists_read = False
        self._sizes = ListSizes()
        self._windows: dict[str | None, datetime] = {}
        """Per list type (None: every type), the earliest start a windowed list still shows."""
        self._rejected: set[str] = set()
        """Ids of records whose copy in this run was quarantined (kept from absence deletes)."""
        self._items = 0
        self._bytes = 0
        """Items (records, quarantine rows, tombstones, missing references) and their approximate
        bytes held for the next batch: it is written at ``batch_size`` items or ``max_batch_bytes``."""
        self._max_items = config.batch_size
        self._max_bytes = config.max_batch_bytes
        self._deadline = float("inf")
        self._budget = ListBudget(config.max_pages_per_list, config.max_records_per_list)
        self._list_records = 0
        self._list_cut: str | None = None
        """Why the list being read was ended early (a ``list-limit`` notice or ``max_records_per_list``)."""
        self._cuts: list[str] = []
        """Lists ended early in this run: the run is incomplete."""
        self._ownership = Ownership(config.name, config.url, config.http, rehome=config.foreign_ids == "rehome")
        self._logged = 0

    # --- entry point -------------------------------------------------------------
    def decide_full(self) -> bool:
        """Full run when the adapter always lists everything, there was no complete full run
        yet, or the last one is too old."""
        if self.adapter_cls.always_full:
            return True
        last_full = self.store.last_complete_run(self.config.name, full_only=True)
        if last_full is None:
            return True
        if self.config.full_sync_every is None:
            return False
        started = datetime.fromisoformat(last_full.started)
        return self.clock.now() - started >= timedelta(seconds=self.config.full_sync_every)

    def run(self, *, full: bool | None = None, wait_for_lock: bool = False) -> RunReport:
        """Sync the source; returns the report (``status`` says whether it was complete)."""
        with self.store.lock_source(self.config.name, wait=wait_for_lock):
            return self._run(full)

    def run_holding_lock(self, *, full: bool | None = None) -> RunReport:
        """Sync the source while the caller already holds ``store.lock_source`` for it.

        For callers that must decide something under the same lock first (the Celery task
        checks there whether its message was already done).
        """
        return self._run(full)

    def _run(self, full: bool | None) -> RunReport:
        if full is None and self.adapter_cls.requires_full_run(self.options):
            full = True
        is_full = self.decide_full() if full is None else full
        started = self.clock.now()
        t0 = time.monotonic()
        self._deadline = t0 + self.config.max_run_time
        report = RunReport(self.config.name, self.adapter_cls.name, is_full, _iso(started))
        report.max_quarantine_fraction = self.config.max_quarantine_fraction
        self.report = report
        self.run_id = self.store.start_run(self.config.name, self.adapter_cls.name, full=is_full, started=_iso(started))
        report.run_id = self.run_id
        http: HttpClient | None = None
        adapter: Adapter | None = None
        self._reconcile_safe = True
        try:
            http = self._http or HttpClient(
                self.config.url or "http://localhost/", self.config.http, source=self.config.name
            )
            self._sizes = ListSizes.load(self.store.kv_get(SIZES_NAMESPACE, self.config.name))
            ctx = AdapterContext(
                source=SourceSettings(
                    name=self.config.name,
                    timezone=self.config.timezone,
                    keep_raw=self.config.keep_raw,
                    url=self.config.url,
                ),
                http=http,
                clock=self.clock,
                state=_State(self.store, self.config.name),
                full=is_full,
                overlap=self.config.overlap,
                list_budget=self._budget,
            )
            adapter = self.adapter_cls(ctx, self.options)
            with _writing_behind(self.store):  # the SQLite store writes a batch while the next is read
                self._consume(adapter.fetch())
                if self._list_cut is not None:  # ended early, and no checkpoint followed
                    self._cuts.append(self._list_cut)
                self._lists_done()
            if self._cuts:
                raise LimitExceeded(
                    f"{len(self._cuts)} list(s) ended early, the run is incomplete and deletes nothing: "
                    + "; ".join(self._cuts[:3]),
                    source=self.config.name,
                )
            self._resolve_references(adapter)
            report.status = "complete"
            if is_full:
                self._delete_absent()
            if not is_full and report.total("quarantined"):
                report.stored = self.store.live_counts(self.config.name)
            if report.degraded_types() or report.id_conflicts:
                report.status = "degraded"
        except SourceError as exc:
            if exc.source is None:  # raised outside the HTTP client (e.g. a body that is no JSON)
                exc.source = self.config.name
            report.status = "incomplete"
            report.errors.append(str(exc))
            report.error_classes.append(type(exc).__name__)
            log.error("%s: sync incomplete: %s", self.config.name, exc)
            self._flush_safely()
        except RisError as exc:
            report.status = "failed"
            report.errors.append(str(exc))
            report.error_classes.append(type(exc).__name__)
            self._flush_safely()
            raise
        except Exception as exc:  # any other exception: the source fails, the process goes on
            report.status = "failed"
            message = unexpected_error(self.config.name, exc, adapter)
            report.errors.append(message)
            report.error_classes.append(type(exc).__name__)
            log.error("%s", message)
            log.debug("%s: traceback of the failure", self.config.name, exc_info=True)
            self._flush_safely()
        except BaseException as exc:  # interrupted (Ctrl-C, SystemExit): the run is closed, not left running
            report.status = "failed"
            report.errors.append(f"[{self.config.name}] interrupted ({type(exc).__name__})")
            report.error_classes.append(type(exc).__name__)
            raise
        finally:
            if adapter is not None:
                _close_quietly(adapter, self.config.name)
            if http is not None:
                stats = http.stats
                report.requests, report.retries, report.bytes_received = (
                    stats.requests,
                    stats.retries,
                    stats.bytes,
                )
                if self._http is None:
                    http.close()
            report.finished = _iso(self.clock.now())
            report.duration_s = time.monotonic() - t0
            self.store.finish_run(
                self.run_id, status=report.status, finished=report.finished, report=report.to_json_dict()
            )
        return report

    # --- item processing ---------------------------------------------------------
    def _consume(self, items: Iterator[Item]) -> None:
        for item in items:
            self._handle(item)

    def _check_time(self) -> None:
        """Stop the run once it has taken ``max_run_time``: what was read is committed, the run
        is incomplete."""
        if time.monotonic() > self._deadline:
            self._out_of_time()

    def _out_of_time(self) -> None:
        limit = self.config.max_run_time
        raise LimitExceeded(
            f"run stopped after {limit:g} s (max_run_time); what was read is kept, the run is incomplete "
            "and deletes nothing",
            source=self.config.name,
        )

    def _hold(self, size: int) -> None:
        """Count one more item of about ``size`` bytes for the batch; write it when full."""
        self._items += 1
        self._bytes += size + _ITEM_OVERHEAD
        if self._items >= self._max_items or self._bytes >= self._max_bytes:
            self._flush()

    def _admit(self, record: Record) -> bool:
        """Whether ``record`` may be stored: its URLs made safe, its id the source's own (or
        re-homed), and its list within ``max_records_per_list``."""
        notes = admit(record)  # only http(s) URLs are stored: sync/safety.py
        if notes:
            self._url_notices(record, notes)
        ownership = self._ownership
        if ownership.rehome:
            for old, new in ownership.rehome_record(record):
                if new == record.id:
                    self.report.warn(FOREIGN_ID_REHOMED, f"{record.type} {old}: foreign id stored as {new}")
                else:
                    self.report.warn(FOREIGN_REFERENCE_REHOMED, f"{record.id}: reference to {old} stored as {new}")
        else:
            reason = ownership.foreign(record.id)
            if reason is not None:
                self.report.warn(FOREIGN_ID, f"{record.type} {reason}; quarantined")
                self._reject(Rejected(reason, record.to_json_dict(), record.type, record.id))
                return False
        if self._list_records >= self._budget.max_records:
            if self._list_cut is None:
                self._cut_list(
                    LIST_LIMIT_RECORDS,
                    f"more than {self._budget.max_records} records in one list (max_records_per_list); list cut off",
                )
                self._budget.exhausted = self._list_cut
            return False
        self._list_records += 1
        return True

    def _cut_list(self, code: str, message: str) -> None:
        self._list_cut = message
        self.report.warn(code, message)

    def _lists_done(self) -> None:
        """Every list was read: copies held for a later copy are written now, and records the
        source still lists but whose copy was quarantined are marked seen (the stored version
        stays; a record is not deleted because one copy of it could not be read)."""
        self._lists_read = True
        self._sizes.lists_done()
        self._write().seen_rejected.extend(sorted(self._rejected))
        self._flush()

    def _handle(self, item: Item) -> None:
        if time.monotonic() > self._deadline:
            self._out_of_time()
        if isinstance(item, Record):
            if self._admit(item):
                self._pending.append(item)
                self._sizes.record(item.type)
                self._items += 1  # _hold, inlined: this runs for every record
                self._bytes += record_bytes(item) + _ITEM_OVERHEAD
                if self._items >= self._max_items or self._bytes >= self._max_bytes:
                    self._flush()
        elif isinstance(item, Checkpoint):
            self._checkpoint(item)
        elif isinstance(item, Tombstone):
            tomb = self._own_tombstone(item)
            if tomb is not None:
                self._tombstones.append(tomb)
                self._hold(len(tomb.id))
        elif isinstance(item, Rejected):
            self._reject(item)
        elif isinstance(item, Notice):
            self._notice(item.code, item.message, item.count)
        elif isinstance(item, MissingReference):
            self.report.missing_references += 1
            self._write().missing.append((item.id, item.referrer, item.reason))
            self._hold(len(item.id) + len(item.reason))
        else:  # pragma: no cover - adapters are typed
            raise TypeError(f"adapter yielded {type(item).__name__}")

    def _notice(self, code: str, message: str, count: int) -> None:
        self.report.warn(code, message, count)
        meaning = describe(code)  # what the code means (ris_connector/notices), never its spelling
        if meaning.control_characters:
            self.report.control_characters_removed += count
        if meaning.partial_list:
            self._reconcile_safe = False
        if meaning.list_cut and self._list_cut is None:
            self._list_cut = message

    def _url_notices(self, record: Record, notes: list[tuple[str, str, str]]) -> None:
        """A notice per URL value ``admit`` dropped or repaired, as if yielded after the
        record; its text is written only where it is kept (the report keeps the first of a code):
        an export whose every record links relatively gets one notice a record."""
        for code, name, value in notes:
            if time.monotonic() > self._deadline:
                self._out_of_time()
            kept = code not in self.report.warnings or describe(code).list_cut
            self._notice(code, note_message(record, code, name, value) if kept else "", 1)

    def _checkpoint(self, item: Checkpoint) -> None:
        """A list is complete: its state is committed with the data before it, unless the list
        was ended early (then it is read again from its old state by the next run)."""
        self._sizes.checkpoint(item.stream, item.type, item.size)
        cut, self._list_cut = self._list_cut, None
        self._list_records = 0
        self._budget.exhausted = None
        if cut is not None:
            self._cuts.append(f"list {item.stream}: {cut}")
            log.error("%s: list %s ended early: %s", self.config.name, item.stream, cut)
            self._flush()
            return
        if item.covers_from is not None:
            known = self._windows.get(item.type)
            self._windows[item.type] = item.covers_from if known is None else min(known, item.covers_from)
        self._flush(states={item.stream: json.dumps(dict(item.state), sort_keys=True)})

    def _own_tombstone(self, item: Tombstone) -> Tombstone | None:
        """A tombstone of the source's own id (re-homed where so configured); None for a foreign
        one (it could not delete another source's record anyway)."""
        if self._ownership.foreign(item.id) is None:
            return item
        if self._ownership.rehome and item.type:
            return Tombstone(self._ownership.rehomed(item.type, item.id), item.type)
        return None

    def _write(self) -> WriteBatch:
        if self._batch is None:
            self._batch = WriteBatch(self.config.name, self.run_id, _iso(self.clock.now()))
        return self._batch

    def _reject(self, item: Rejected) -> None:
        type_name = item.type or "unknown"
        self.report.count(type_name, "quarantined")
        try:
            raw = json.dumps(item.raw, ensure_ascii=False, default=str)
        except (TypeError, ValueError, RecursionError):  # RecursionError: nested deeper than json goes
            try:
                raw = json.dumps(repr(item.raw))
            except (ValueError, RecursionError):
                raw = json.dumps(f"<{type(item.raw).__name__} that cannot be shown>")
        self._write().quarantine.append((item.type, item.ref, item.reason, raw))
        if item.ref:
            self._rejected.add(item.ref)
        self._logged += 1
        if self._logged <= _LOGGED_REJECTIONS:
            log.warning("%s: quarantined %s %s: %s", self.config.name, type_name, item.ref or "", item.reason)
            if self._logged == _LOGGED_REJECTIONS:
                log.warning("%s: further quarantined records are logged at DEBUG level", self.config.name)
        else:
            log.debug("%s: quarantined %s %s: %s", self.config.name, type_name, item.ref or "", item.reason)
        self._hold(len(raw) + len(item.reason) + len(item.ref or ""))

    def _flush_safely(self) -> None:
        self._lists_read = True  # no later copy will come: held copies are written as they are
        try:
            self._flush()
        except RisError as exc:  # pragma: no cover - store trouble while already failing
            log.error("%s: could not save partial data: %s", self.config.name, exc)

    def _flush(self, states: Mapping[str, str] | None = None) -> None:
        batch = self._write()
        if states:
            self._held_states.update(states)
        now = self.clock.now()
        copies: dict[str, _Copy] = {}
        if self._lists_read:  # no later copy will come for those held
            copies, self._held = self._held, {}
        held = self._held
        keep_raw = self.config.keep_raw
        provenance: Provenance | None = None
        for rec in self._pending:  # each record as JSON data, with its provenance, once
            if rec.provenance is None:
                if provenance is None:  # one for the batch: its records were all read by now
                    provenance = Provenance(source=self.config.name, adapter=self.adapter_cls.name, fetched_at=now)
                rec.provenance = provenance
            if rec.raw is not None and not keep_raw:
                rec.raw = None
            copy = _Copy(rec, rec.to_json_dict(), rec.modified)
            rid = rec.id
            earlier = copies.get(rid)
            if earlier is None and held:
                earlier = held.pop(rid, None)
            copies[rid] = copy if earlier is None else self._newest(earlier, copy)
        tombstones = {t.id: t for t in self._tombstones if t.id not in copies}
        self._pending, self._tombstones = [], []
        self._items = self._bytes = 0
        existing = self.store.get_hashes([*copies, *tombstones])
        differ: list[tuple[_Copy, dict[str, Any], str, tuple[str, bool, str, int]]] = []
        source, run_id, count = self.config.name, self.run_id, self.report.count
        for rid, copy in copies.items():
            content = content_of(copy.data)
            digest = digest_of_content(content)
            old = existing.get(rid)
            if old is not None and old[2] != source:
                self._conflict(rid, old[2])
            elif old is None or old[1]:
                rec = copy.rec
                self._upsert(batch, rec, digest, copy.data)
                batch.events.append(("created", rec.type, rid, sorted(content), {}))
                count(rec.type, "created")
            elif old[0] != digest:
                differ.append((copy, content, digest, old))
            else:  # unchanged: what ``_seen`` does, without a call per record
                rec = copy.rec
                batch.seen.append(rec.id)
                if old[3] != run_id:
                    count(rec.type, "unchanged")
        if differ:
            self._judge(batch, differ, now)
        self._apply_tombstones(batch, tombstones, existing)
        if not self._held:  # state is committed only with (never ahead of) the data it covers
            batch.states.update(self._held_states)
            self._held_states = {}
        self._processed += len(copies)
        self.store.apply(batch)
        self._batch = None
        if self._progress and copies:
            self._progress("records", self._processed)

    def _conflict(self, rid: str, owner: str) -> None:
        """Another source holds ``rid``: its record stays theirs, this run is degraded."""
        self.report.id_conflicts[owner] = self.report.id_conflicts.get(owner, 0) + 1
        self.report.warn(
            ID_CONFLICT,
            f"{rid} is held by source {owner!r}; source {self.config.name!r} did not overwrite it",
        )

    def _newest(self, earlier: _Copy, later: _Copy) -> _Copy:
        """Of two copies of one object in this run: the newer, or both merged if of one age."""
        order = age_order(later.modified, earlier.modified)
        if order > 0 or later.data == earlier.data:
            return later
        if order < 0:
            self._older_copy(later.rec.id, later.modified, earlier.modified)
            return earlier
        return self._merged(earlier.data, later) or later

    def _merged(self, first: Mapping[str, Any], later: _Copy) -> _Copy | None:
        """``first`` (JSON data of the same object) and ``later`` as one copy; None if they
        cannot be one (another type, or the merge is no valid record)."""
        if first.get("type") != later.rec.type:
            return None
        data = merge_copies(first, later.data)
        if data == later.data:
            return later
        try:
            rec = RECORD_TYPES[later.rec.type].model_validate(data)
        except ValidationError as exc:  # pragma: no cover - two valid copies give valid fields
            log.debug("%s: copies of %s not merged: %s", self.config.name, later.rec.id, exc)
            return None
        return _Copy(rec, rec.to_json_dict(), rec.modified)

    def _older_copy(self, rid: str, modified: datetime | None, kept: datetime | None) -> None:
        self.report.warn(
            OLDER_COPY,
            f"{rid}: a copy modified {modified.isoformat() if modified else '?'} is older than the one kept "
            f"({kept.isoformat() if kept else '?'}); ignored",
        )

    def _seen(self, batch: WriteBatch, rec: Record, old: tuple[str, bool, str, int]) -> None:
        """The stored row says what this copy says: mark it seen (counted once per run)."""
        batch.seen.append(rec.id)
        if old[3] != self.run_id:
            self.report.count(rec.type, "unchanged")

    def _judge(
        self,
        batch: WriteBatch,
        differ: list[tuple[_Copy, dict[str, Any], str, tuple[str, bool, str, int]]],
        now: datetime,
    ) -> None:
        """Copies whose hash differs from the stored row: older copies, copies of the same age,
        volatile text and real updates.

        * A copy older than the stored row is ignored when the row was written in this run, or
          holds a ``modified`` not in the future (``modified`` only moves forward).
        * A copy of the same age as a row written in this run is merged into it.
        * Content that differs only in volatile text replaces the hash without an event.
        * A real change of the same age as a row of an earlier run may be one of several copies
          of the object (embedded and listed) that disagree: it is held until the lists are read
          (with the list states, so state stays behind data). A later copy is merged with it, so
          the result does not depend on which copy came first; without one it is written then.
        """
        before = self.store.get_data(c.rec.id for c, _, _, _ in differ)
        for copy, content, digest, old in differ:
            rid = copy.rec.id
            stored = before.get(rid, {})
            stored_modified = modified_of(stored)
            this_run = old[3] == self.run_id
            order = age_order(copy.modified, stored_modified)
            if order < 0 and (this_run or stored_modified is None or stored_modified <= now + _FUTURE_SLACK):
                self._older_copy(rid, copy.modified, stored_modified)
                self._seen(batch, copy.rec, old)
                continue
            if order == 0 and this_run:
                merged = self._merged(stored, copy)
                if merged is not None and merged is not copy:
                    copy, content = merged, content_of(merged.data)
                    digest = digest_of_content(content)
            cleaned = self._volatile.content(content)
            if cleaned is not None:
                digest = digest_of_content(cleaned)
            if digest == old[0]:
                self._seen(batch, copy.rec, old)
                continue
            changes = changed_fields(stored, copy.data, self._volatile)
            if not changes:  # volatile text only (or a hash of an earlier version): no news
                batch.rehash.append((rid, digest))
                if not this_run:
                    self.report.count(copy.rec.type, "unchanged")
                continue
            if order == 0 and not this_run and not self._lists_read:
                if len(self._held) < _MAX_HELD:
                    self._held[rid] = copy
                    continue
                self.report.warn(COPIES_NOT_HELD, f"more than {_MAX_HELD} copies held; {rid} written as it came")
            self._upsert(batch, copy.rec, digest, copy.data)
            batch.events.append(("updated", copy.rec.type, rid, sorted(changes), changes))
            self.report.count(copy.rec.type, "updated")

    def _upsert(self, batch: WriteBatch, rec: Record, digest: str, data: dict[str, Any]) -> None:
        batch.upserts.append((rec.id, rec.type, digest, compact(data), rec.deleted))
        batch.refs[rec.id] = rec.references()
        if rec.provenance and rec.provenance.url and rec.provenance.url != rec.id:
            batch.aliases.append((rec.provenance.url, rec.id))
        batch.found.append(rec.id)

    def _apply_tombstones(
        self,
        batch: WriteBatch,
        tombstones: Mapping[str, Tombstone],
        existing: Mapping[str, tuple[str, bool, str, int]],
    ) -> None:
        if not tombstones:
            return
        live = [
            tid
            for tid in tombstones
            if tid in existing and not existing[tid][1] and existing[tid][2] == self.config.name
        ]
        if not live:
            return
        before = self.store.get_data(live)
        for tid in live:
            data = dict(before.get(tid, {}))
            data["deleted"] = True
            type_name = str(data.get("type") or tombstones[tid].type or "unknown")
            digest = "deleted:" + existing[tid][0]
            batch.upserts.append((tid, type_name, digest, compact(data), True))
            batch.refs[tid] = []
            batch.events.append(("deleted", type_name, tid, [], {}))
            self.report.count(type_name, "deleted")

    # --- references and deletes --------------------------------------------------
    def _references_settled(self) -> bool:
        """Whether no reference can be unresolved: nothing was written by this incremental run,
        and the source's run before it completed with every reference resolved (or so settled).

        Records of other sources and missing-marks only ever resolve references, so the query
        that reads every reference of the source would find nothing.
        """
        if self.report.full or self.report.total("created") or self.report.total("updated"):
            return False
        before = [run for run in self.store.runs(self.config.name, limit=2) if run.run_id != self.run_id]
        if not before or before[0].status not in READ_WHOLE_SOURCE or before[0].report is None:
            return False
        return before[0].report.get("references") in ("resolved", "unchanged")

    def _resolve_references(self, adapter: Adapter) -> None:
        """Fetch referenced objects that no list delivered, one by one."""
        if self._references_settled():
            self.report.references = "unchanged"
            return
        tried: set[str] = set()
        budget = self.config.max_individual_fetches
        while budget > 0:
            dangling = [
                (dst, src)
                for dst, src in self.store.dangling_references(
                    self.config.name, self.run_id, full=self.report.full, limit=min(200, budget) + len(tried)
                )
                if dst not in tried
            ]
            if not dangling:
                self.report.references = "resolved"
                return
            for dst, src in dangling[:budget]:
                self._check_time()
                tried.add(dst)
                budget -= 1
                self._fetch_one(adapter, dst, src)
                if self._progress:
                    self._progress("references", len(tried))
            self._flush()
        self.report.references = "limit"
        self.report.warn(
            INDIVIDUAL_FETCH_LIMIT,
            f"stopped after {self.config.max_individual_fetches} individual fetches; raise max_individual_fetches",
        )

    def _fetch_one(self, adapter: Adapter, target: str, referrer: str) -> None:
        delivered = False
        try:
            for item in adapter.fetch_one(target):
                if isinstance(item, (Record, MissingReference, Tombstone)):
                    delivered = True
                if isinstance(item, MissingReference):
                    self._gone(item.id, referrer, item.reason)
                    continue
                self._handle(item)
        except (NotFound, ForbiddenUrl) as exc:
            delivered = True
            self._gone(target, referrer, str(exc))
        except (TransientError, LimitExceeded):  # no word about the object: the run stops
            raise
        except SourceError as exc:
            delivered = True
            self._gone(target, referrer, str(exc))
        if not delivered:  # no answer about the object: its absence from the lists decides
            self._gone(target, referrer, "the source offers no way to fetch this object", evidence=False)

    def _gone(self, target: str, referrer: str, reason: str, *, evidence: bool = True) -> None:
        """A referenced object cannot be had: record it, and delete it if we held it and the
        source said so (404, forbidden, an error for that object)."""
        self.report.missing_references += 1
        self._write().missing.append((target, referrer, reason))
        if self.report.full and evidence:
            self._tombstones.append(Tombstone(target))
        self._hold(len(target) + len(reason))

    def _beyond_windows(self, unseen: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """``unseen`` without the records that left a windowed list's span (``sync/window.py``).
        The warning counts those that left since the last complete full run, not every record
        kept by earlier runs as well."""
        kept = outside_windows(unseen, self._windows, self.store.get_data)
        if not kept:
            return unseen
        last = self.store.last_complete_run(self.config.name, full_only=True)
        since = last.run_id if last else 0  # seen by the last complete full run: left in this one
        seen_run = {rid: row[3] for rid, row in self.store.get_hashes(kept).items()}
        left = [(rid, t) for rid, t in unseen if seen_run.get(rid, -1) >= since]
        if left:
            types = Counter(type_name for _, type_name in left)
            self.report.warn(
                LEFT_WINDOW,
                f"{', '.join(f'{n} {t}' for t, n in sorted(types.items()))} no longer listed, starting before the "
                f"list's window ({min(self._windows.values()).isoformat()}) or referred to by such records; kept, "
                f"not deleted ({len(kept)} kept in all)",
                len(left),
            )
        return [(rid, type_name) for rid, type_name in unseen if rid not in kept]

    def _delete_absent(self) -> None:
        """After a complete full run, records the source no longer lists are deleted, type by
        type, where the lists give evidence (``sync/evidence.py``); the list sizes are committed
        with the deletes."""
        if not self._reconcile_safe:
            self.report.warn(NO_ABSENCE_DELETES, "pagination was irregular; absent records were not deleted")
            return
        fraction = self.config.max_delete_fraction
        withheld = self._sizes.judge(fraction)
        unseen = self._beyond_windows(self.store.unseen(self.config.name, self.run_id))
        absent = Counter(type_name for _, type_name in unseen)
        blocked = {w.type for w in withheld}
        for w in withheld:
            self.report.withheld_deletes.append(w.to_json_dict(absent[w.type]))
            self.report.warn(
                LIST_SHRANK,
                f"list {w.list} delivered {w.now} {w.type} (last full run: {w.last}); "
                f"{absent[w.type]} absent {w.type} records are not deleted this run",
            )
        with_evidence = {t for types in self._sizes.last.values() for t, n in types.items() if n > 0}
        live: dict[str, int] | None = None
        for type_name, count in sorted(absent.items()):
            if type_name in blocked or type_name in with_evidence:
                continue
            live = live if live is not None else self.store.live_counts(self.config.name)
            total = live.get(type_name, 0)
            if total and count / total > fraction:  # no list sizes known yet: the type as a whole
                blocked.add(type_name)
                self.report.warn(
                    MASS_DELETE_REFUSED,
                    f"{count} of {total} {type_name} records are absent from the source; not deleting them "
                    f"(more than max_delete_fraction={fraction})",
                )
        for rid, type_name in unseen:
            if type_name in blocked:
                continue
            self._tombstones.append(Tombstone(rid, type_name))
            self._hold(len(rid))
        batch = self._write()
        batch.prune_quarantine = not blocked
        batch.kv[(SIZES_NAMESPACE, self.config.name)] = self._sizes.state_after(withheld)
        self._flush()


def run_source(
    config: SourceConfig,
    store: Store,
    *,
    clock: Clock | None = None,
    full: bool | None = None,
    progress: ProgressFn | None = None,
    wait_for_lock: bool = False,
) -> RunReport:
    """Sync one source into ``store`` and return the run report."""
    try:
        engine = SyncEngine(config, store, clock=clock, progress=progress)
    except ValidationError as exc:  # pragma: no cover - options are validated in parse_options
        raise ConfigError(str(exc)) from None
    return engine.run(full=full, wait_for_lock=wait_for_lock)
