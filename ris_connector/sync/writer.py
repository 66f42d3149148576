"""The engine's batches written on one background thread, one at a time, in order.

Writing a batch is mostly the database's own work (SQLite's b-trees, PostgreSQL's server), which
runs without Python's GIL; reading and normalizing the next batch is Python's. With the write on
its own thread both proceed together, on two cores where there are two. Nothing else changes:

* batches are applied in the order they were written, each in its own transaction as before,
  so a stream's state is still committed only with the data it covers;
* at most one batch is in flight, and every read the engine makes of the store waits for it
  (:meth:`BatchWriter.wait`), so the engine reads what it wrote, as if it wrote in line;
* a write that fails raises its error from the next :meth:`~BatchWriter.wait` or
  :meth:`~BatchWriter.submit` in the engine's thread, and no later batch is applied after it.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

from ris_connector.store.base import Store, WriteBatch


class BatchWriter:
    """Applies ``WriteBatch`` es to ``store`` on one thread of its own, one in flight at most."""

    def __init__(self, store: Store, source: str) -> None:
        self._store = store
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"ris-writer-{source}"[:40])
        self._pending: Future[None] | None = None
        self._lock = threading.Lock()

    def submit(self, batch: WriteBatch) -> None:
        """Write ``batch`` after the one in flight (whose error, if any, is raised here instead)."""
        self.wait()
        with self._lock:
            self._pending = self._pool.submit(self._store.apply, batch)

    def wait(self) -> None:
        """Return once the batch in flight is written; raise its error if it failed.

        A failed write keeps raising (from every call), so no later batch is written after it.
        """
        with self._lock:
            pending = self._pending
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Wait for the batch in flight (its error is raised) and end the thread."""
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)
