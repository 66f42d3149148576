"""Bytes from a dict on 127.0.0.1 (a LocalServer): exports, DTDs, anything a test serves as is."""

from __future__ import annotations

from dataclasses import dataclass

from ris_connector.testing import LocalServer, Reply, Request


@dataclass
class Page:
    body: bytes
    content_type: str = "text/xml"


class StaticServer(LocalServer):
    """``pages`` maps a path (without query) to a Page and may change while the server runs."""

    def __init__(self, pages: dict[str, Page] | None = None) -> None:
        super().__init__(fallback=self._page, name="static-server")
        self.pages = dict(pages or {})

    def _page(self, request: Request) -> Reply:
        page = self.pages.get(request.path)
        return Reply(404, b"", None) if page is None else Reply(200, page.body, page.content_type)

    @property
    def base(self) -> str:
        return self.base_url

    def contacted(self) -> bool:
        return bool(self.requests)
