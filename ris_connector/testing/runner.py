"""Runs an adapter through the kit's scenario and keeps what each run yielded and wrote.

The scenario, with a :class:`~ris_connector.clock.FixedClock` so that requests (and so the
recording) are the same every time:

1. a full run at ``start``, 2. a second full run over the same data one hour later,
3. a run two hours later whose kind the engine decides, as ``ris-connector sync`` lets it
   (incremental, unless the adapter says every run is full), all into one SQLite file; then, through the
fault-injecting proxy (answering from the cassette, or forwarding to the live server), a
clean full run into a fresh file and, for every fault, a full run with that fault injected
into a copy of it.
"""

from __future__ import annotations

import shutil
import traceback
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ris_connector.adapters.base import Adapter, Checkpoint, Item, MissingReference
from ris_connector.clock import FixedClock
from ris_connector.config import SourceConfig, source_from_mapping
from ris_connector.http import HttpClient, HttpResponse
from ris_connector.models import Record
from ris_connector.store import SQLiteStore
from ris_connector.sync import RunReport, SyncEngine
from ris_connector.testing.cassette import recorded_base, recorded_responses, use_cassette
from ris_connector.testing.faultproxy import FAULTS, FaultProxy

#: HTTP settings of kit runs: no politeness delay, quick retries, short timeouts.
KIT_HTTP: dict[str, Any] = {
    "rate_limit": 0,
    "backoff_initial": 0.01,
    "backoff_max": 0.05,
    "max_attempts": 2,
    "read_timeout": 10,
    "deadline": 30,
}
FAULT_HTTP: dict[str, Any] = {**KIT_HTTP, "read_timeout": 0.5, "deadline": 5}
DEFAULT_START = datetime(2026, 1, 15, 11, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class KitSpec:
    """What the kit needs to know about an adapter (see :class:`~ris_connector.testing.AdapterContract`)."""

    adapter: str
    source: Mapping[str, Any]
    adapter_class: type[Adapter] | None = None
    cassette: Path | None = None
    live_server: Any = None
    """A callable returning a context manager that yields the live base URL, or a server with a
    ``base_url`` (a :class:`~ris_connector.testing.LocalServer`), for recording/live runs."""
    pyproject: Path | None = None
    timezone: str = "Europe/Berlin"
    start: datetime = DEFAULT_START
    faults: tuple[str, ...] = tuple(FAULTS)
    secret_params: tuple[str, ...] = ()
    """Query parameters whose values the cassette must not store (authKeys, tokens)."""


@dataclass
class RunResult:
    """One engine run: the report (or the crash), every item the adapter yielded, the responses read."""

    label: str
    full: bool
    report: RunReport | None = None
    crash: str | None = None
    items: list[Item] = field(default_factory=list)
    responses: list[HttpResponse] = field(default_factory=list)
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    live_before: int = 0
    live_after: int = 0
    fault_request: str | None = None

    @property
    def records(self) -> list[Record]:
        """The records the adapter yielded, in order."""
        return [i for i in self.items if isinstance(i, Record)]

    @property
    def checkpoints(self) -> list[Checkpoint]:
        """The checkpoints the adapter yielded, in order."""
        return [i for i in self.items if isinstance(i, Checkpoint)]

    @property
    def missing(self) -> list[MissingReference]:
        """The missing references the adapter reported."""
        return [i for i in self.items if isinstance(i, MissingReference)]


@dataclass
class Scenario:
    """Everything the checks look at."""

    spec: KitSpec
    adapter_class: type[Adapter]
    base_url: str
    runs: dict[str, RunResult] = field(default_factory=dict)
    faults: dict[str, RunResult] = field(default_factory=dict)
    store_path: Path | None = None
    stored_ids: set[str] = field(default_factory=set)
    missing_ids: set[str] = field(default_factory=set)
    always_full: bool = False
    """The adapter says every run is full (``always_full`` or ``requires_full_run``): no incremental runs."""


class _KitHttpClient(HttpClient):
    """The core's HTTP client, keeping every response it returned (the checks read source times)."""

    def __init__(self, *args: Any, sink: list[HttpResponse], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sink = sink

    def get(self, url: str, **kwargs: Any) -> HttpResponse:
        response = super().get(url, **kwargs)
        self._sink.append(response)
        return response

    def post(self, url: str, data: bytes, **kwargs: Any) -> HttpResponse:
        response = super().post(url, data, **kwargs)
        self._sink.append(response)
        return response


def observed(cls: type[Adapter], sink: list[Item]) -> type[Adapter]:
    """A subclass of ``cls`` that copies every yielded item into ``sink``."""

    def fetch(self: Adapter) -> Iterator[Item]:
        for item in cls.fetch(self):
            sink.append(item)
            yield item

    def fetch_one(self: Adapter, record_id: str) -> Iterator[Item]:
        for item in cls.fetch_one(self, record_id):
            sink.append(item)
            yield item

    return type(cls.__name__, (cls,), {"fetch": fetch, "fetch_one": fetch_one, "__module__": cls.__module__})


def _fill(value: Any, base: str) -> Any:
    if isinstance(value, str):
        return value.replace("{base}", base)
    if isinstance(value, Mapping):
        return {k: _fill(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, base) for v in value]
    return value


class KitRunner:
    """Runs the scenario once; ``record`` re-records the cassette from the live server."""

    def __init__(self, spec: KitSpec, adapter_class: type[Adapter], workdir: Path, *, record: bool = False) -> None:
        self.spec = spec
        self.adapter_class = adapter_class
        self.workdir = workdir
        self.record = record
        self._proxy: FaultProxy | None = None

    def config(self, base: str, http: Mapping[str, Any]) -> SourceConfig:
        """The source configuration for a run against ``base``."""
        raw = dict(_fill(dict(self.spec.source), base))
        raw.setdefault("name", "kit")
        raw["adapter"] = self.spec.adapter
        raw.setdefault("timezone", self.spec.timezone)
        raw["http"] = {**http, **dict(raw.get("http", {}))}
        return source_from_mapping(raw)

    def run_once(
        self, label: str, store: SQLiteStore, config: SourceConfig, *, full: bool | None, at: datetime
    ) -> RunResult:
        """One engine run (``full=None``: the engine decides); a crash is kept, not raised."""
        result = RunResult(label, bool(full))
        result.live_before = sum(1 for r in store.iter_rows(source=config.name) if not r.deleted)
        http = _KitHttpClient(config.url or "http://localhost/", config.http, source=config.name, sink=result.responses)
        try:
            engine = SyncEngine(
                config, store, clock=FixedClock(at), adapter_cls=observed(self.adapter_class, result.items), http=http
            )
            result.report = engine.run(full=full)
            result.full = result.report.full
        except Exception as exc:  # the kit reports crashes instead of raising them
            result.crash = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            result.crash += "\n" + "".join(traceback.format_tb(exc.__traceback__)[-3:])
        finally:
            http.close()
        result.states = store.stream_states(config.name)
        result.live_after = sum(1 for r in store.iter_rows(source=config.name) if not r.deleted)
        return result

    def run(self) -> Scenario:
        """Execute the scenario (recording, replaying or live) and return what was seen."""
        spec = self.spec
        with ExitStack() as stack:
            if spec.cassette is None or self.record:
                if spec.live_server is None:
                    raise RuntimeError("the contract has no live_server(); cannot run live or record")
                live: AbstractContextManager[Any] = spec.live_server()
                entered = stack.enter_context(live)  # a base URL, or a server with base_url (LocalServer)
                base = str(getattr(entered, "base_url", entered))
            else:
                base = recorded_base(spec.cassette)
            scenario = Scenario(spec, self.adapter_class, base)
            cassette = (
                use_cassette(
                    spec.cassette, record=self.record, passthrough=self._passthrough, secrets=spec.secret_params
                )
                if spec.cassette is not None
                else nullcontext()
            )
            with cassette:
                self._main_runs(scenario)
            if spec.faults:
                self._fault_runs(scenario)
        return scenario

    def _passthrough(self) -> str | None:
        return self._proxy.url.split("://", 1)[1] if self._proxy is not None else None

    def _main_runs(self, scenario: Scenario) -> None:
        path = self.workdir / "kit.db"
        path.unlink(missing_ok=True)
        config = self.config(scenario.base_url, KIT_HTTP)
        cls = self.adapter_class
        scenario.always_full = cls.always_full or cls.requires_full_run(cls.parse_options(config.options))
        start = self.spec.start
        store = SQLiteStore(path)
        try:
            runs: tuple[tuple[str, bool | None, datetime], ...] = (
                ("first full run", True, start),
                ("second full run", True, start + timedelta(hours=1)),
                ("incremental run", None, start + timedelta(hours=2)),
            )
            for label, full, at in runs:
                scenario.runs[label] = self.run_once(label, store, config, full=full, at=at)
            scenario.stored_ids = {r.id for r in store.iter_rows(source=config.name)}
            scenario.missing_ids = {str(m["id"]) for m in store.missing_references(config.name)}
        finally:
            store.close()
        scenario.store_path = path

    def _fault_runs(self, scenario: Scenario) -> None:
        recorded = recorded_responses(self.spec.cassette) if self.spec.cassette is not None else None
        with FaultProxy(scenario.base_url, recorded, self.spec.secret_params) as proxy:
            self._proxy = proxy
            try:
                config = self.config(proxy.url, FAULT_HTTP)
                baseline = self.workdir / "fault-baseline.db"
                baseline.unlink(missing_ok=True)
                store = SQLiteStore(baseline)
                try:
                    proxy.arm(None)
                    clean = self.run_once("clean run through the proxy", store, config, full=True, at=self.spec.start)
                    scenario.faults["(none)"] = clean
                finally:
                    store.close()
                at = len(proxy.state.seen) // 2 + 1
                for kind in self.spec.faults:
                    path = self.workdir / f"fault-{kind}.db"
                    shutil.copyfile(baseline, path)
                    store = SQLiteStore(path)
                    try:
                        proxy.arm(kind, at)
                        when = self.spec.start + timedelta(hours=1)
                        result = self.run_once(f"full run with fault {kind}", store, config, full=True, at=when)
                        result.fault_request = proxy.state.faulted
                        scenario.faults[kind] = result
                    finally:
                        store.close()
            finally:
                self._proxy = None
