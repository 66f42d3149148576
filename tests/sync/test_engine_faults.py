"""Fault injection: whole syncs against a server that fails in every way, on both stores.

Every scenario ends either in retries that succeed (the run is complete and holds exactly what
a clean run holds) or in a clear, classified failure: status ``incomplete``, one error naming
the failing URL and what went wrong, counts equal to what was committed, the data read before
the failure kept, no watermark for a list that was not read completely, a consistent store, and
a next run (server healthy again) that completes without duplicates.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pytest

from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore, Store
from ris_connector.sync import run_source
from tests.support.faulty_oparl import clear, inject, refused, unconnectable
from tests.support.ristest import OParlFactory, oparl_source, sync
from tests.support.storecheck import invariant_violations, query

SCALE = 0.003
#: Tight limits so that faults show quickly: 3 attempts, short timeouts, small deadline.
FAULT_HTTP = {
    "max_attempts": 3,
    "connect_timeout": 0.4,
    "read_timeout": 0.4,
    "deadline": 1.0,
    "max_retry_after": 0.2,
    "max_bytes": 1_000_000,
}
TARGET = "papers?page=2"  # the second page of the paper list: some data is read before it fails


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: str
    times: int | None  # None: the fault never goes away
    arg: float = 0
    expect: str = "recover"  # recover | fail | warn
    pattern: str = ""  # error text (fail) or warning code (warn)
    match: str = TARGET


SCENARIOS = [
    Scenario("burst-500", "status", 2, 500),
    Scenario("burst-502", "status", 2, 502),
    Scenario("burst-503", "status", 2, 503),
    Scenario("persistent-503", "status", None, 503, "fail", r"HTTP 503 for http://\S+/papers\?page=2"),
    Scenario("429-retry-after", "retry_after", 1, 0),
    Scenario("persistent-429", "retry_after", None, 0, "fail", r"HTTP 429 for http://\S+/papers\?page=2"),
    # A Retry-After beyond max_retry_after (0.2 s here) fails the request at once.
    Scenario("429-retry-after-too-long", "retry_after", 1, 1, "fail", r"HTTP 429 .*exceeds max_retry_after"),
    Scenario("read-timeout-once", "hang", 1, 1.0),
    Scenario("read-timeout", "hang", None, 1.0, "fail", r"timeout for http://\S+/papers\?page=2"),
    Scenario("reset-mid-body-twice", "reset", 2),
    Scenario("reset-mid-body", "reset", None, 0, "fail", r"body of http://\S+/papers\?page=2 (broke off|incomplete)"),
    Scenario("truncated-json", "truncate", None, 0, "fail", r"invalid JSON .*http://\S+/papers\?page=2"),
    Scenario("html-error-page-200", "html200", None, 0, "fail", r"HTML page with HTTP 200 .*/papers\?page=2"),
    Scenario("redirect-loop", "redirect_loop", None, 0, "fail", r"redirect loop at .*/papers\?page=2"),
    Scenario(
        "over-size-limit",
        "pad",
        None,
        1_200_000,
        "fail",
        r"exceeds 1000000 bytes \(http\.max_bytes\).* \(http://\S+/papers\?page=2\)",
    ),
    # The deadline is per request (attempts and waits together): a body trickled past it is not
    # tried again in the same run; the next run recovers.
    Scenario("trickle-once", "trickle", 1, 200, "fail", r"deadline of 1 s exceeded for \S+/papers\?page=2"),
    Scenario("trickle-past-deadline", "trickle", None, 200, "fail", r"deadline of 1 s exceeded for \S+/papers\?page=2"),
    Scenario("pagination-loop", "next_to_first", None, 0, "warn", "pagination-loop"),
    Scenario("endless-next-chain", "endless_next", None, 0, "warn", "pagination-stale", match="/papers"),
]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Counter[str]:
    """Records per type of a clean sync of the same dataset."""
    server = OParlServer(scale=SCALE).start()
    try:
        with SQLiteStore(tmp_path_factory.mktemp("baseline") / "b.db") as store:
            assert sync(server, store).complete
            return Counter(r.type for r in store.iter_rows(include_deleted=True))
    finally:
        server.stop()


def _check_consistent(store_url: str, store: Store, server: OParlServer | None) -> None:
    assert invariant_violations(store_url) == []
    if server is None:
        return
    ds = server.dataset
    held = {r.id for r in store.iter_rows(include_deleted=True)}
    for stream in store.stream_states("test"):
        body_id, name = stream.split("|", 1)
        wanted = {ds.id_of(p) for p in ds.lists[ds.path_of(body_id)][name] if not ds.objects[p].get("deleted")}
        assert wanted <= held, f"watermark of {stream} committed, {len(wanted - held)} of its objects missing"


def _recovered(store_url: str, store: Store, server: OParlServer, baseline: Counter[str]) -> None:
    """With the server healthy again, the next run completes and the store equals a clean one."""
    clear(server)
    again = sync(server, store, http=FAULT_HTTP)
    assert again.complete, again.errors
    assert Counter(r.type for r in store.iter_rows(include_deleted=True)) == baseline
    created = query(store_url, "SELECT id, COUNT(*) FROM events WHERE kind = 'created' GROUP BY id")
    assert len(created) == sum(baseline.values()) and {n for _, n in created} == {1}
    _check_consistent(store_url, store, server)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_fault(
    scenario: Scenario, oparl_server: OParlFactory, any_store: Store, store_url: str, baseline: Counter[str]
) -> None:
    server: OParlServer = oparl_server(scale=SCALE)
    rule = inject(server, scenario.match, scenario.fault, scenario.times, scenario.arg)
    report = sync(server, any_store, http=FAULT_HTTP)
    assert rule.hits >= 1
    committed = query(store_url, f"SELECT kind, COUNT(*) FROM events WHERE run_id = {report.run_id} GROUP BY kind")
    # The report counts exactly what was committed.
    assert dict(committed) == {k: v for k in ("created", "updated", "deleted") if (v := report.total(k))}
    assert len(list(any_store.iter_rows(include_deleted=True))) == report.total("created")
    stored_run = any_store.runs("test", limit=1)[0]
    assert stored_run.status == report.status and stored_run.report is not None

    if scenario.expect == "recover":
        assert report.complete, report.errors
        assert report.retries >= (scenario.times or 1)
        assert Counter(r.type for r in any_store.iter_rows(include_deleted=True)) == baseline
    elif scenario.expect == "fail":
        assert report.status == "incomplete"
        assert len(report.errors) == 1 and re.search(scenario.pattern, report.errors[0]), report.errors
        assert report.errors[0].startswith("[test] ")  # names the source
        streams = {s.split("|", 1)[1] for s in any_store.stream_states("test")}
        assert "paper" not in streams and "meeting" in streams  # lists before the failure are kept
        assert 0 < report.total("created") < sum(baseline.values())
    else:
        assert report.complete
        assert scenario.pattern in report.warnings
        assert "no-absence-deletes" in report.warnings or not report.full
        assert report.total("deleted") == 0
    _check_consistent(store_url, any_store, server)
    _recovered(store_url, any_store, server, baseline)


@pytest.mark.parametrize("kind", ["connect-timeout", "connection-refused"])
def test_unreachable_source(kind: str, any_store: Store, store_url: str) -> None:
    opener = unconnectable if kind == "connect-timeout" else refused
    with opener() as origin:
        url = origin + "/oparl/v1.1/system"
        report = run_source(oparl_source(url, http=FAULT_HTTP), any_store)
    assert report.status == "incomplete" and report.retries == FAULT_HTTP["max_attempts"] - 1
    expected = (
        r"timeout for http://127\.0\.0\.1:\d+/oparl/v1\.1/system"
        if kind == "connect-timeout"
        else (r"connection failed for http://127\.0\.0\.1:\d+/oparl/v1\.1/system")
    )
    assert re.search(expected, report.errors[0]), report.errors
    assert report.total("created") == 0 and any_store.stream_states("test") == {}
    _check_consistent(store_url, any_store, None)
