"""Which hosts files may come from, and one polite HTTP client per source or host.

* A File of a configured source (``--config``) is fetched with that source's HTTP settings:
  its own host plus its ``allowed_hosts`` (files often live on a separate host), its rate
  limit, connection cap, credentials and size limit.
* Without a configuration, a File may be fetched only from the host of its own id (the
  OParl URL it was read from). A ``downloadUrl`` on another host fails as
  ``failed:forbidden-host``; configure the source with ``allowed_hosts`` to allow it.
  Files with ``urn:`` ids have no host and need a source configuration.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from urllib.parse import urlsplit

from ris_connector.config import SourceConfig
from ris_connector.http import HttpClient, HttpSettings


class ClientPool:
    """HttpClients shared by the download threads: per configured source, else per id host."""

    def __init__(
        self,
        sources: Iterable[SourceConfig] = (),
        *,
        settings: HttpSettings | None = None,
        max_bytes: int | None = None,
    ) -> None:
        self._sources = {s.name: s for s in sources if s.url}
        self._settings = settings or HttpSettings()
        self._max_bytes = max_bytes
        self._clients: dict[str, HttpClient] = {}
        self._lock = threading.Lock()

    def _limited(self, settings: HttpSettings) -> HttpSettings:
        if self._max_bytes is None:
            return settings
        return settings.model_copy(update={"max_bytes": self._max_bytes})

    def client_for(self, source: str, file_id: str) -> HttpClient | None:
        """The client for a File of ``source`` with id ``file_id``; None if no host may be asked."""
        config = self._sources.get(source)
        if config is not None and config.url:
            key, home, settings, name = f"source:{source}", config.url, config.http, source
        else:
            parts = urlsplit(file_id)
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                return None
            key = f"host:{parts.scheme.lower()}://{parts.netloc.lower()}"
            home, settings, name = f"{parts.scheme}://{parts.netloc}/", self._settings, source
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = HttpClient(home, self._limited(settings), source=name)
                self._clients[key] = client
            return client

    def totals(self) -> tuple[int, int]:
        """(requests, body bytes) over every client."""
        with self._lock:
            stats = [c.stats for c in self._clients.values()]
        return sum(s.requests for s in stats), sum(s.bytes for s in stats)

    def close(self) -> None:
        """Close every client."""
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
