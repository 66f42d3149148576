"""Stores the operator views are tested on (the ``ops_store`` fixture of tests/conftest.py): a synced
sample town, plus sources in every health state and one whose data is hostile HTML, written through
the store API as runs would."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from ris_connector.sample.server import OParlServer
from ris_connector.store import Store, WriteBatch
from tests.support.ristest import sync

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'


def _at(hours_ago: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(hours=hours_ago)).isoformat(timespec="seconds")


def fake_run(
    store: Store,
    source: str,
    status: str,
    *,
    hours_ago: float = 1.0,
    report: dict[str, object] | None = None,
    quarantine: list[tuple[str, str, str, object]] | None = None,
) -> int:
    """A finished run as the engine records it (report and quarantine rows)."""
    run = store.start_run(source, "oparl", full=True, started=_at(hours_ago + 0.01))
    if quarantine:
        batch = WriteBatch(source, run, _at(hours_ago))
        batch.quarantine = [(t, ref, reason, json.dumps(raw)) for t, ref, reason, raw in quarantine]
        store.apply(batch)
    full = {"status": status, "duration_s": 12.5, "counts": {}, "warnings": [], "errors": [], **(report or {})}
    store.finish_run(run, status=status, finished=_at(hours_ago), report=full)
    return run


def populate(store: Store, server: OParlServer) -> None:
    """``town``: a real sync; ``degraded-town``: a run of a status the code does not know;
    ``old-town``: stale; ``broken-town``: failed; ``evil``: hostile text everywhere."""
    assert sync(server, store, name="town").complete
    fake_run(store, "degraded-town", "complete", hours_ago=5)
    fake_run(
        store,
        "degraded-town",
        "degraded",
        report={
            "counts": {"Meeting": {"created": 3, "quarantined": 9}},
            "warnings": [{"code": "oparl-q18-placeholder", "count": 4, "example": "N/A as a value"}],
        },
        quarantine=[("Meeting", f"https://ris.example/m/{i}", "no start time", {"id": i}) for i in range(9)],
    )
    fake_run(store, "old-town", "complete", hours_ago=72, report={"counts": {"Paper": {"created": 5}}})
    fake_run(store, "broken-town", "complete", hours_ago=3)
    fake_run(
        store,
        "broken-town",
        "failed",
        report={
            "errors": ["[broken-town] HTTP 500 for https://ris.example/oparl/system"],
            "error_classes": ["ServerError"],
        },
    )
    fake_run(
        store,
        "evil",
        "incomplete",
        report={
            "counts": {"Paper": {"created": 1, "quarantined": 1}},
            "warnings": [{"code": HOSTILE, "count": 1, "example": HOSTILE}],
            "errors": [HOSTILE],
            "error_classes": ["InvalidPayload"],
        },
        quarantine=[("Paper", HOSTILE, HOSTILE, {"name": HOSTILE, "html": "<html><body onload=alert(2)>"})],
    )
