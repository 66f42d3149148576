"""One WSGI application for ``serve``: the operator's pages beside the OParl output.

``/metrics`` (Prometheus, read from the store) and ``/status`` (the status page) are answered
here; every other path goes to the application given (the OParl endpoint), unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ris_connector.metrics import StoreCollector, metrics_app
from ris_connector.outputs.statuspage import StatusPage
from ris_connector.store import Store

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def with_operations(app: WsgiApp, store: Store, *, limits: Mapping[str, float] | None = None) -> WsgiApp:
    """``app`` plus ``/metrics`` and ``/status`` over ``store``.

    ``limits``: source -> seconds after which it is stale (a fleet's intervals plus slack);
    sources not named are stale after 26 hours.
    """
    metrics = metrics_app(StoreCollector(store, max_age=limits))
    status = StatusPage(store, limits=limits)

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        if path == "/metrics":
            result: Iterable[bytes] = metrics(environ, start_response)
            return result
        if path == "/status" or path.startswith("/status/"):
            return status(environ, start_response)
        return app(environ, start_response)

    return dispatch
