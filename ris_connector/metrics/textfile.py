"""The metrics a CLI sync leaves for the node exporter (``sync --metrics-textfile PATH``)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from ris_connector.config import SourceConfig
from ris_connector.health import INTERVAL_SLACK
from ris_connector.metrics.collector import StoreCollector
from ris_connector.metrics.expose import write_textfile
from ris_connector.store import Store


def write_source_metrics(path: str | os.PathLike[str], store: Store, sources: Sequence[SourceConfig]) -> None:
    """Write the metrics of ``sources`` (only these: one cron job per file, so that files of
    several jobs never export the same series twice), each stale after its ``interval`` plus
    two hours, like ``status --config``."""
    collector = StoreCollector(
        store,
        sources=[s.name for s in sources],
        max_age={s.name: s.interval + INTERVAL_SLACK for s in sources},
    )
    write_textfile(path, collector)
