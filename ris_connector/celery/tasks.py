"""The Celery task ``ris_connector.run_source``: one source, late acknowledgement, bounded retries."""

from __future__ import annotations

import logging
from typing import Any

from ris_connector.celery.runner import DUPLICATE, LOCKED, Outcome, sync_once
from ris_connector.celery.schedule import TASK_NAME
from ris_connector.celery.settings import FleetSettings
from ris_connector.config import load_config
from ris_connector.errors import ConfigError, StoreError
from ris_connector.store import open_store

log = logging.getLogger(__name__)

#: Options of the task: acknowledged only after it ran, given back when its worker dies.
TASK_OPTIONS: dict[str, Any] = {
    "name": TASK_NAME,
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": None,  # bounded by FleetSettings (failures and lock waits separately)
    "ignore_result": True,
    "shared": False,  # registered on this app only, not on every app of the process
}


def register_tasks(app: Any, settings: FleetSettings) -> Any:
    """Define ``run_source`` on the Celery ``app``; returns the task."""

    @app.task(**TASK_OPTIONS)  # type: ignore[untyped-decorator,misc,unused-ignore]
    def run_source(task: Any, source: str, failures: int = 0, waits: int = 0) -> dict[str, Any]:
        """Sync ``source`` of the configuration into the shared store (see :func:`execute`)."""
        return execute(task, settings, source, failures=failures, waits=waits)

    return run_source


def execute(task: Any, settings: FleetSettings, source: str, *, failures: int, waits: int) -> dict[str, Any]:
    """Run one delivery and retry it when that may help: an incomplete or failed run after
    ``settings.retry_delay(failures)``, a source locked by another worker after
    ``lock_retry_delay``; both at most as often as the settings say."""
    file = load_config(settings.require_config())
    config = next((s for s in file.sources if s.name == source), None)
    if config is None:
        log.error("task for source %r, which the configuration does not list; dropped", source)
        return {"source": source, "status": "unknown-source"}
    db = settings.db or file.db
    if not db:
        raise ConfigError("no database: set RIS_DB or `db` in the configuration file")
    request = task.request
    task_id = str(request.id)
    worker = str(request.hostname or "?")
    last_failure = failures >= settings.max_retries
    last_wait = waits >= settings.lock_retries
    try:
        store = open_store(db)
    except StoreError as exc:
        outcome = Outcome(source, "failed", error=str(exc))
    else:
        try:
            outcome = sync_once(
                store,
                config,
                task_id=task_id,
                worker=worker,
                last_failure=last_failure,
                last_wait=last_wait,
                max_crashes=settings.max_retries,
            )
        finally:
            store.close()
    result = outcome.to_json_dict()
    if outcome.status == LOCKED and not last_wait:
        raise task.retry(
            kwargs={"source": source, "failures": failures, "waits": waits + 1},
            countdown=settings.lock_retry_delay,
            max_retries=None,
        )
    if outcome.retry and outcome.status not in (LOCKED, DUPLICATE) and not last_failure:
        delay = settings.retry_delay(failures)
        log.warning("%s: run %s (%s); retry %d in %.1fs", source, outcome.status, outcome.error, failures + 1, delay)
        raise task.retry(
            kwargs={"source": source, "failures": failures + 1, "waits": waits},
            countdown=delay,
            max_retries=None,
        )
    return result
