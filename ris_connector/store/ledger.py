"""What the fleet remembers in the shared store besides the runs: tasks done, counters, who is busy.

Kept in the store's key-value table, so every worker and ``ris-connector status`` see the same:

* ``celery.done``: per source the last tasks that finished (complete, or given up after the
  last retry) - a message the broker delivers again is recognised by its task id and skipped.
* ``celery.counts``: per source how often a task found the source locked by another worker,
  was a duplicate delivery, or gave up after its last retry.
* ``celery.active``: per source the task, worker and process syncing it right now.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ris_connector.store.base import Store

DONE = "celery.done"
COUNTS = "celery.counts"
ACTIVE = "celery.active"
KEEP_DONE = 50
COUNTERS = ("locked", "duplicates", "gave_up")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class FleetCounts:
    """Counters of one source (see the module docstring)."""

    locked: int = 0
    duplicates: int = 0
    gave_up: int = 0
    done: list[dict[str, Any]] = field(default_factory=list)
    active: dict[str, Any] | None = None


class TaskLedger:
    """Reads and writes the fleet's bookkeeping in ``store``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _load(self, namespace: str, source: str) -> Any:
        raw = self.store.kv_get(namespace, source)
        return json.loads(raw) if raw else None

    def done_entries(self, source: str) -> list[dict[str, Any]]:
        """The last finished tasks of ``source``, oldest first."""
        entries = self._load(DONE, source)
        return entries if isinstance(entries, list) else []

    def is_done(self, source: str, task_id: str) -> bool:
        """Whether task ``task_id`` already finished (call while holding the source lock)."""
        return any(e.get("task") == task_id for e in self.done_entries(source))

    def mark_done(self, source: str, task_id: str, *, run_id: int | None, worker: str, status: str) -> None:
        """Remember a finished task (call while holding the source lock)."""
        entries = self.done_entries(source)
        entries.append({"task": task_id, "run": run_id, "worker": worker, "status": status, "at": _now()})
        self.store.kv_set(DONE, source, json.dumps(entries[-KEEP_DONE:]))

    def count(self, source: str, counter: str) -> None:
        """Add one to ``counter`` of ``source``; exact across workers (a short lock of its own)."""
        if counter not in COUNTERS:
            raise ValueError(f"unknown counter {counter!r}")
        with self.store.lock_source(f"{source}#counts", wait=True):
            counts = self._load(COUNTS, source) or {}
            counts[counter] = int(counts.get(counter, 0)) + 1
            self.store.kv_set(COUNTS, source, json.dumps(counts, sort_keys=True))

    def set_active(self, source: str, info: dict[str, Any] | None) -> None:
        """Who syncs ``source`` now (``None``: nobody)."""
        self.store.kv_set(ACTIVE, source, json.dumps({**info, "since": _now()}) if info else "")

    def counts(self, source: str) -> FleetCounts:
        """The counters, finished tasks and current activity of ``source``."""
        counts = self._load(COUNTS, source) or {}
        active = self._load(ACTIVE, source)
        return FleetCounts(
            locked=int(counts.get("locked", 0)),
            duplicates=int(counts.get("duplicates", 0)),
            gave_up=int(counts.get("gave_up", 0)),
            done=self.done_entries(source),
            active=active or None,
        )
