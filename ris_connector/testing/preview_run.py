"""``preview``: what an adapter yields in one run, without a store, for trying it while writing it.

::

    with serve_json({"/termine": list_api(items)}) as server:
        for item in preview(TermineAdapter, {"url": server.url("/termine")}):
            print(item)

The run is real (the core's HTTP client, the source's settings and options) but nothing is
written: there is no engine, so no identity, change detection, deletes or reference fetching.
``state`` plays the stored checkpoint states (``{"appointments": {"watermark": ...}}``) for an
incremental run (``full=False``). The kit (:class:`~ris_connector.testing.AdapterContract`) is
what tests an adapter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ris_connector.adapters.base import Adapter, AdapterContext, Item, SourceSettings
from ris_connector.clock import Clock, SystemClock
from ris_connector.config import source_from_mapping
from ris_connector.http import HttpClient


class _States:
    """A read-only state view over given checkpoint states; the store holds no ids."""

    def __init__(self, states: Mapping[str, Mapping[str, Any]]) -> None:
        self._states = states

    def stream_state(self, stream: str) -> Mapping[str, Any] | None:
        return self._states.get(stream)

    def known_ids(self, ids: Iterable[str]) -> set[str]:
        return set()


def preview(
    adapter_cls: type[Adapter[Any]],
    source: Mapping[str, Any],
    *,
    full: bool = True,
    state: Mapping[str, Mapping[str, Any]] | None = None,
    clock: Clock | None = None,
) -> list[Item]:
    """The items ``adapter_cls`` yields for ``source`` (a ``[[source]]`` table) in one run."""
    config = source_from_mapping({"name": "preview", "adapter": adapter_cls.name or "preview", **source})
    options = adapter_cls.parse_options(config.options)
    with HttpClient(config.url or "http://localhost/", config.http, source=config.name) as http:
        settings = SourceSettings(config.name, config.timezone, config.keep_raw, config.url)
        ctx = AdapterContext(
            settings, http, clock or SystemClock(), _States(state or {}), full=full, overlap=config.overlap
        )
        adapter = adapter_cls(ctx, options)
        try:
            return list(adapter.fetch())
        finally:
            adapter.close()
