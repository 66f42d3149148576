"""The served index, following the store's change feed: safe for many request threads.

A request first calls :meth:`LiveIndex.refresh`: it reads the change events after the last seq it
applied (and the mirror's generation marker), gathers the changed records from the store without
blocking readers, and applies them under the write side of a readers-writer lock. The cost is that
of the changes, not of the store. Only when the set of live Bodies changed, or when more records
changed than a quarter of the index, is the index built again from scratch; that build also runs
beside the readers, who keep the old index until the new one replaces it.

One refresher runs at a time; the store itself may be read from many threads (each has its own
connection), so requests render concurrently.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from ris_connector.files.blobs import BlobStore
from ris_connector.outputs.oparl.documents import generation
from ris_connector.outputs.oparl.index import PublishIndex
from ris_connector.store.base import Store

log = logging.getLogger(__name__)

#: Changed records beyond which a rebuild is cheaper than applying them one by one (share of the index).
REBUILD_SHARE = 0.25
#: ... but never below this many.
REBUILD_MIN = 5000


def last_seq(store: Store, after: int = 0) -> int:
    """The last sequence number of the change feed (``after`` if there is none later), in a few
    probes instead of reading every event (a new store's feed holds one event per record)."""

    def later(seq: int) -> bool:
        return next(iter(store.changes(after=seq, limit=1)), None) is not None

    low, step = after, 1  # invariant: the feed reaches beyond ``low`` unless low == after
    if not later(low):
        return after
    while later(low + step):
        low, step = low + step, step * 2
    high = low + step  # nothing beyond ``high``; something beyond ``low``
    while high - low > 1:
        middle = (low + high) // 2
        if later(middle):
            low = middle
        else:
            high = middle
    return high


class ReadWriteLock:
    """Many readers or one writer; a waiting writer keeps new readers out (it is never starved).

    Not reentrant: a thread holding the read side must not take it again.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writing = False
        self._waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            while self._writing or self._readers:
                self._cond.wait()
            self._waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class LiveIndex:
    """The :class:`PublishIndex` of a store, brought up to date before each request."""

    def __init__(
        self,
        store: Store,
        *,
        body_names: Mapping[str, str] | None = None,
        files: BlobStore | None = None,
    ) -> None:
        self.store = store
        self.body_names = dict(body_names or {})
        self.files = files
        self._rw = ReadWriteLock()
        self._refreshing = threading.Lock()
        self._index: PublishIndex | None = None
        self._seq = 0
        self._generation: str | None = None
        self.rebuilds = 0
        """How many times the index was built from scratch (the first build included)."""
        self.applied = 0
        """How many changed records were applied one by one."""

    def refresh(self) -> None:
        """Apply what changed in the store since the last call (build the index the first time)."""
        with self._refreshing:
            limit = max(REBUILD_MIN, int(REBUILD_SHARE * len(self._index.entries))) if self._index else 0
            mark = generation(self.store) if self.files is not None else None
            latest, overflow = self._seq, self._index is None
            ids: set[str] = set()
            if not overflow:
                for event in self.store.changes(after=self._seq):
                    latest = event.seq
                    ids.add(event.id)
                    if len(ids) > limit:
                        overflow = True
                        break
            if overflow:
                latest = last_seq(self.store, latest)
            if not overflow and latest == self._seq and mark == self._generation:
                return
            if not overflow:
                assert self._index is not None
                pending = self._index.gather(self.store, ids, mirror_moved=mark != self._generation)
                with self._rw.write():
                    done = self._index.apply(pending)
                    if done:
                        self._seq, self._generation = latest, mark
                        self.applied += len(ids)
                        return
                log.info("the live Bodies changed; building the OParl index again")
            fresh = PublishIndex(self.store, body_names=self.body_names, files=self.files)
            with self._rw.write():
                self._index, self._seq, self._generation = fresh, latest, mark
                self.rebuilds += 1

    @contextmanager
    def reading(self) -> Iterator[PublishIndex]:
        """The current index, unchanged while the block runs (call :meth:`refresh` before)."""
        with self._rw.read():
            if self._index is None:
                raise RuntimeError("the index was never built: call refresh() first")
            yield self._index

    def current(self) -> PublishIndex:
        """Refresh and return the index, for callers that are the only thread using it."""
        self.refresh()
        assert self._index is not None
        return self._index
