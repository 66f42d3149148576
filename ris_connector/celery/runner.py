"""One delivery of a fleet task: sync one source under its lock, once per task id.

Independent of Celery so that it can be tested and reused; :mod:`ris_connector.celery.tasks`
turns the outcome into an acknowledgement or a retry.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from ris_connector.clock import Clock
from ris_connector.config import SourceConfig
from ris_connector.errors import LockedError, RisError
from ris_connector.store import Store
from ris_connector.store.ledger import TaskLedger
from ris_connector.sync.engine import SyncEngine

log = logging.getLogger(__name__)

#: Outcomes of :func:`sync_once`.
COMPLETE = "complete"
DEGRADED = "degraded"
"""The whole source was read but too much of a type quarantined: done (a retry reads the same
data), and ``ris-connector status`` shows it."""
INCOMPLETE = "incomplete"
FAILED = "failed"
DUPLICATE = "duplicate"
LOCKED = "locked"


@dataclass(frozen=True)
class Outcome:
    """What one delivery did. ``retry`` says whether another attempt may help."""

    source: str
    status: str
    run_id: int | None = None
    error: str | None = None
    report: dict[str, Any] | None = None

    @property
    def retry(self) -> bool:
        """Whether the task should be tried again (an incomplete or failed run, or a locked source)."""
        return self.status in (INCOMPLETE, FAILED, LOCKED)

    def to_json_dict(self) -> dict[str, Any]:
        """A small summary (the task's return value); the full report is in the store's runs."""
        return {"source": self.source, "status": self.status, "run_id": self.run_id, "error": self.error}


def sync_once(
    store: Store,
    config: SourceConfig,
    *,
    task_id: str,
    worker: str,
    last_failure: bool,
    last_wait: bool,
    max_crashes: int = 3,
    clock: Clock | None = None,
) -> Outcome:
    """Sync ``config`` into ``store`` unless another worker holds its lock or ``task_id`` is done.

    Under the source lock: a task id that already finished is a duplicate delivery and is
    skipped; otherwise the run is recorded (runs table, with its report) and, when it completed
    or when it failed and ``last_failure`` says no retry is left, the task id is marked done.
    A locked source is counted; with ``last_wait`` the task gives up waiting (counted too).
    A task whose worker died during it more than ``max_crashes`` times (it is delivered again
    each time) gives up, so that a source that kills its worker is not retried forever.
    """
    ledger = TaskLedger(store)
    name = config.name
    try:
        with store.lock_source(name, wait=False):
            if ledger.is_done(name, task_id):
                log.info("%s: task %s was already done; duplicate delivery skipped", name, task_id)
                ledger.count(name, "duplicates")
                return Outcome(name, DUPLICATE)
            left = ledger.counts(name).active  # still set: the worker running it died
            crashes = int(left.get("crashes", 0)) + 1 if left and left.get("task") == task_id else 0
            if crashes > max_crashes:
                log.error("%s: task %s lost its worker %d times; giving up", name, task_id, crashes)
                ledger.mark_done(name, task_id, run_id=None, worker=worker, status="gave-up")
                ledger.count(name, "gave_up")
                ledger.set_active(name, None)
                return Outcome(name, FAILED, error=f"the worker died {crashes} times during this task")
            info = {"task": task_id, "worker": worker, "pid": os.getpid(), "crashes": crashes}
            ledger.set_active(name, info)
            try:
                return _run(
                    store, config, ledger, task_id=task_id, worker=worker, last_attempt=last_failure, clock=clock
                )
            finally:
                ledger.set_active(name, None)
    except LockedError:
        log.info("%s: another worker is syncing it; task %s will try again later", name, task_id)
        ledger.count(name, "locked")
        if last_wait:
            log.error("%s: still locked after the last wait; task %s gives up", name, task_id)
            ledger.count(name, "gave_up")
        return Outcome(name, LOCKED, error="source locked by another worker")


def _run(
    store: Store,
    config: SourceConfig,
    ledger: TaskLedger,
    *,
    task_id: str,
    worker: str,
    last_attempt: bool,
    clock: Clock | None,
) -> Outcome:
    name = config.name
    engine: SyncEngine | None = None
    try:
        engine = SyncEngine(config, store, clock=clock)
        report = engine.run_holding_lock()
    except RisError as exc:  # the engine has recorded the run as failed
        outcome = Outcome(name, FAILED, run_id=getattr(engine, "run_id", None), error=str(exc))
    except Exception as exc:  # a bug must not kill the fleet; it is logged, retried, then given up
        log.exception("%s: unexpected error in the sync", name)
        outcome = Outcome(name, FAILED, run_id=getattr(engine, "run_id", None), error=f"{type(exc).__name__}: {exc}")
    else:
        status = (DEGRADED if report.degraded else COMPLETE) if report.complete else INCOMPLETE
        error = "; ".join(report.errors) or None
        outcome = Outcome(name, status, run_id=report.run_id, error=error, report=report.to_json_dict())
    if outcome.status in (COMPLETE, DEGRADED):
        ledger.mark_done(name, task_id, run_id=outcome.run_id, worker=worker, status=outcome.status)
    elif last_attempt:
        log.error("%s: giving up after the last retry: %s", name, outcome.error)
        ledger.mark_done(name, task_id, run_id=outcome.run_id, worker=worker, status="gave-up")
        ledger.count(name, "gave_up")
    return outcome
