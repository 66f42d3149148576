"""Promise: a run's memory is bounded whatever the source sends.

A batch (one transaction) is written when it holds ``batch_size`` items - records, quarantine
rows, tombstones, missing references - or ``max_batch_bytes`` (default 8 MiB) of them. Before,
only records were counted: a 6 MB page of non-objects held 1 GB of quarantine rows, and 12
pages of 95 MB held 2.5 GB because a batch of 500 huge records was never full. An OParl answer
is read whole only up to ``max_page_bytes`` (16 MiB) and decoded only if its structure would
not take more than six times that (a 6 MB page of ``[]`` decodes to 230 MB). Peak RSS is
measured here with generous bounds; the figures are in ``bench/hostile_memory.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ris_connector.config import SourceConfig, source_from_mapping
from ris_connector.store import SQLiteStore
from ris_connector.store.base import WriteBatch
from ris_connector.sync import run_source
from tests.support.hostile_oparl import BigPages, HostileOParl, NonObjects
from tests.support.measured import cli, run_measured


class CountingStore(SQLiteStore):
    """A real SQLite store that notes what each transaction held."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.batches: list[tuple[int, int, int]] = []
        """(records, quarantine rows, bytes of their JSON) per applied batch."""

    def apply(self, batch: WriteBatch) -> None:
        size = sum(len(u[3]) for u in batch.upserts) + sum(len(q[3]) + len(q[2]) for q in batch.quarantine)
        self.batches.append((len(batch.upserts), len(batch.quarantine), size))
        super().apply(batch)


def _source(server: HostileOParl, **extra: object) -> SourceConfig:
    return source_from_mapping({"name": "h", "adapter": "oparl", "url": server.system_url, **extra})


def test_quarantine_rows_are_written_per_batch(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "s.db")  # SQLiteStore.__enter__ is typed to return a SQLiteStore
    with HostileOParl(NonObjects(120_000, b"7")) as server, store:
        report = run_source(_source(server, batch_size=500), store)
    assert report.counts["Paper"]["quarantined"] == 60_000
    assert max(q for _, q, _ in store.batches) <= 500  # before: one batch of 60,000 rows
    assert sum(q for _, q, _ in store.batches) == 60_000


def test_batches_are_written_by_bytes_not_only_by_count(tmp_path: Path) -> None:
    """Three pages of 3 MB, three papers of 1 MB each: with ``max_batch_bytes`` of 1.5 MiB no
    transaction holds more than two of them, though ``batch_size`` (500) is never reached."""
    store = CountingStore(tmp_path / "s.db")
    with HostileOParl(BigPages(3, 3_000_000, per_page=3)) as server, store:
        report = run_source(_source(server, max_batch_bytes=1_572_864), store)
    assert report.counts["Paper"]["created"] == 9
    assert max(size for _, _, size in store.batches) < 2_200_000
    assert sum(n for n, _, _ in store.batches) == report.total("created")  # all written


@pytest.fixture
def page_of_non_objects() -> Iterator[HostileOParl]:
    with HostileOParl(NonObjects(6_000_000, b"7")) as server:
        yield server


def _sync_measured(server: HostileOParl, tmp_path: Path, *extra: str) -> tuple[int | None, float, str]:
    db = str(tmp_path / "s.db")
    done = run_measured(cli("sync", "--oparl", server.system_url, "--db", db, *extra), timeout=600)
    return done.returncode, done.peak_rss_mb, done.stdout + done.stderr


def test_a_6_mb_page_of_non_objects_stays_within_400_mb(page_of_non_objects: HostileOParl, tmp_path: Path) -> None:
    status, peak, output = _sync_measured(page_of_non_objects, tmp_path, "--json")
    assert peak < 400, f"peak RSS {peak:.0f} MB"  # before: about 1 GB
    assert status == 4, output[-2000:]  # 3 million entries quarantined: degraded, and read whole


def test_a_page_above_max_page_bytes_ends_the_run_naming_the_setting(tmp_path: Path) -> None:
    with HostileOParl(BigPages(2, 20_000_000, per_page=2)) as server:
        status, peak, output = _sync_measured(server, tmp_path, "--json")
    assert status == 3
    assert "exceeds 16777216 bytes (max_page_bytes)" in output
    assert peak < 200, f"peak RSS {peak:.0f} MB"


def test_a_page_that_would_decode_to_too_much_is_not_decoded(tmp_path: Path) -> None:
    """4 MB of empty arrays would take 150 MB decoded: refused before decoding."""
    with HostileOParl(NonObjects(4_000_000, b"[]")) as server:
        status, peak, output = _sync_measured(server, tmp_path, "--json")
    assert status == 3
    assert "MiB decoded, more than 6 x max_page_bytes" in output
    assert peak < 120, f"peak RSS {peak:.0f} MB"
