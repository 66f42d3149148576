"""Prometheus metrics of the sync, read from the store (``/metrics``, textfile, worker endpoint).

See ``docs/monitoring.md`` for every metric, its type and labels.
"""

from __future__ import annotations

from ris_connector.metrics.collector import StoreCollector
from ris_connector.metrics.expose import metrics_app, registry_for, start_metrics_server, write_textfile

__all__ = ["StoreCollector", "metrics_app", "registry_for", "start_metrics_server", "write_textfile"]
