"""The health model shared by ``status``, the status page and the metrics."""

from __future__ import annotations

from datetime import datetime, timezone

from ris_connector.health import health, source_status
from ris_connector.store import Store
from tests.support.opsdata import fake_run


def test_failures_since_the_last_complete_run_are_all_counted(any_store: Store) -> None:
    """More failed runs than one page of runs (the model reads the runs back to the last
    complete one, not a fixed number)."""
    fake_run(any_store, "town", "complete", hours_ago=30)
    for i in range(25):
        fake_run(any_store, "town", "incomplete", hours_ago=29 - i)
    status = source_status(any_store, "town", now=datetime.now(timezone.utc), max_age=26 * 3600)
    assert status.failures_since == 25 and status.stale and health(status) == "incomplete"
    fake_run(any_store, "town", "complete", hours_ago=1)
    fake_run(any_store, "town", "weird-new-status", hours_ago=0.5)
    status = source_status(any_store, "town", now=datetime.now(timezone.utc), max_age=26 * 3600)
    assert status.failures_since == 0 and not status.stale
    assert health(status) == "weird-new-status"  # an unknown status is shown as it is
