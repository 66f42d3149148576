"""Where the store's metrics are shown: a WSGI app (``serve``'s ``/metrics``), a textfile for the
node exporter (written atomically), and a small HTTP server for a Celery worker.

Each uses its own ``CollectorRegistry`` holding one :class:`StoreCollector`, never the
process-wide default registry (no global state; the library's metrics are only the store's).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, make_wsgi_app, start_http_server, write_to_textfile

from ris_connector.errors import ConfigError
from ris_connector.metrics.collector import StoreCollector

log = logging.getLogger(__name__)

WsgiApp = Callable[..., Any]


def registry_for(collector: StoreCollector) -> CollectorRegistry:
    """A registry that holds only ``collector``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry


def metrics_app(collector: StoreCollector) -> WsgiApp:
    """A WSGI app answering every request with the metrics in the Prometheus text format."""
    return make_wsgi_app(registry_for(collector))


def write_textfile(path: str | os.PathLike[str], collector: StoreCollector) -> None:
    """Write the metrics to ``path`` for the node exporter's textfile collector.

    Written to a temporary file beside it and renamed, so the exporter never reads half a
    file. The exporter only reads names ending in ``.prom``.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise ConfigError(f"--metrics-textfile: no such directory: {target.parent}")
    write_to_textfile(str(target), registry_for(collector))


def start_metrics_server(port: int, address: str, collector: StoreCollector) -> tuple[WSGIServer, threading.Thread]:
    """Serve ``/metrics`` on ``address:port`` in a daemon thread (a Celery worker's endpoint)."""
    try:
        server, thread = start_http_server(port, address, registry=registry_for(collector))
    except OSError as exc:
        raise ConfigError(f"cannot serve metrics on {address}:{port}: {exc}") from None
    log.info("metrics on http://%s:%d/metrics", address, port)
    return server, thread
