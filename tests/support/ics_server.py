"""iCalendar feeds on 127.0.0.1 (a LocalServer) that a test can change between syncs.

``with IcsServer() as server:`` then ``server.put("/public/ics/SiKalAbo.ics", text)`` and
``server.url("/public/ics/SiKalAbo.ics")``. ``{now}`` in a feed is replaced by the current UTC
time on every request, as ALLRIS stamps DTSTAMP freshly each time. Unknown paths answer 404.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ris_connector.testing import LocalServer, Reply, Request


class IcsServer(LocalServer):
    """Serves feeds from memory; ``put`` replaces one while the server runs."""

    def __init__(self) -> None:
        super().__init__(name="ics-server")

    def put(
        self,
        path: str,
        text: str | bytes,
        content_type: str = "text/calendar; charset=utf-8",
        *,
        line_end: str = "\r\n",
        encoding: str = "utf-8",
    ) -> str:
        """Serve ``text`` at ``path``; returns its URL.

        Text gets ``line_end`` (CRLF as RFC 5545 wants, or what a broken server sends) and is
        encoded in ``encoding``; bytes are served exactly as given.
        """
        if isinstance(text, str):
            text = (line_end.join(text.strip("\n").split("\n")) + line_end).encode(encoding)
        feed = text

        def answer(request: Request) -> Reply:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ").encode()
            return Reply(200, feed.replace(b"{now}", stamp), content_type)

        self.routes[path] = answer
        return self.url(path)
