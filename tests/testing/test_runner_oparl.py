"""The built-in OParl adapter passes the adapter test kit, live against the sample server.

Live rather than recorded: the sample server is part of the library, deterministic (seed 1)
and starts in well under a second, so a cassette would only duplicate it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from ris_connector.sample.server import OParlServer
from ris_connector.testing import AdapterContract


class TestOParlAdapterKit(AdapterContract):
    adapter = "oparl"
    source = {"name": "kit-oparl", "url": "{base}/oparl/v1.1/system"}
    cassette = None
    start = datetime(2026, 1, 15, 11, 0, tzinfo=timezone.utc)

    @contextmanager
    def live_server(self) -> Iterator[str]:
        with OParlServer(version="1.1", scale=0.005, now=self.start) as server:
            yield server.base_url.split("/oparl/", 1)[0]
