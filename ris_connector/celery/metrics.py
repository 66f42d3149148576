"""A worker's ``/metrics`` endpoint (``RIS_METRICS_PORT``): the shared store's metrics.

Why the store and not counters in the worker: a worker sees only its own tasks, loses its
counts when it restarts, and a fleet has several workers on several hosts. The store holds
every run of every worker (and of CLI syncs), so each endpoint exports the same, complete
numbers, and they agree with ``ris-connector status``. Scrape one worker (or all of them and
aggregate with ``max by (source, ...)``, as the example alert rules do). The store is opened for
each scrape and closed after it, so an idle worker holds no database connection.
"""

from __future__ import annotations

import logging
from typing import Any

from ris_connector.celery.settings import FleetSettings
from ris_connector.config import load_config
from ris_connector.errors import ConfigError
from ris_connector.health import INTERVAL_SLACK
from ris_connector.metrics import StoreCollector, start_metrics_server
from ris_connector.store import Store, open_store

log = logging.getLogger(__name__)


def fleet_collector(settings: FleetSettings) -> StoreCollector:
    """The collector of a fleet: every source of the sources file (read once, at start)."""
    file = load_config(settings.require_config())
    db = settings.store_url(file.db)
    if not db:
        raise ConfigError("no database: set RIS_DB or `db` in the configuration file")

    def opener() -> Store:
        return open_store(db)

    return StoreCollector(
        opener,
        sources=[s.name for s in file.sources],
        max_age={s.name: s.interval + INTERVAL_SLACK for s in file.sources},
    )


def serve_worker_metrics(settings: FleetSettings, **_: Any) -> None:
    """``worker_init`` handler: serve the fleet's metrics when ``RIS_METRICS_PORT`` is set.

    Runs in the worker's main process only (before the pool starts), so one worker is one
    endpoint whatever its concurrency.
    """
    if settings.metrics_port is None:
        return
    start_metrics_server(settings.metrics_port, settings.metrics_address, fleet_collector(settings))
