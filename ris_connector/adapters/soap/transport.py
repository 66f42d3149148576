"""A zeep transport that sends through the core HttpClient, so SOAP gets the same guarantees.

Timeouts, retries, the rate limit, the allowed hosts, the size limit and the request stats all
come from :class:`~ris_connector.http.HttpClient`. Every document zeep receives (WSDL, XSD,
responses) is cleaned by :func:`ris_connector.xmlsafe.clean_document` first: DOCTYPEs are
refused, lying encodings repaired, control characters removed and counted. Local schema
files are read only from the WSDL's own folder.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from zeep.transports import Transport

from ris_connector.errors import ForbiddenUrl
from ris_connector.http import HttpClient
from ris_connector.xmlsafe import clean_document

log = logging.getLogger(__name__)


@dataclass
class _Reply:
    """What zeep reads of a response (a small stand-in for ``requests.Response``)."""

    status_code: int
    content: bytes
    headers: Mapping[str, str]
    encoding: str | None = "utf-8"


@dataclass
class CleanStats:
    """Control characters removed from SOAP documents during one run."""

    control_characters: int = 0
    relabelled: list[str] = field(default_factory=list)


class CoreTransport(Transport):
    """zeep transport over :class:`HttpClient`; see the module docstring."""

    def __init__(
        self,
        http: HttpClient,
        *,
        local_root: Path | None = None,
        cache_dir: Path | None = None,
        cache_ttl: float = 86400.0,
        auth_header: str | None = None,
        auth_host: str | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.session.close()  # zeep's own session is never used
        self.http = http
        self.local_root = local_root.resolve() if local_root else None
        self.cache_dir = cache_dir
        self.cache_ttl = cache_ttl
        self._memory: dict[str, bytes] = {}
        self._auth_header = auth_header
        self._auth_host = auth_host
        self.stats = CleanStats()

    # -- SOAP calls --------------------------------------------------------------------------
    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> _Reply:
        """Send one envelope; SOAP faults arrive as HTTP 500 and are handed to zeep to decode."""
        data = message.encode("utf-8") if isinstance(message, str) else message
        send = dict(headers)
        if self._auth_header and (urlsplit(address).hostname or "").lower() == self._auth_host:
            send["Authorization"] = self._auth_header
        response = self.http.post(address, data, headers=send, accept_status={500})
        content = self._clean(response.content, response.charset, address)
        return _Reply(response.status, content, response.headers)

    # -- WSDL and schemas --------------------------------------------------------------------
    def load(self, url: str) -> bytes:
        """A WSDL or XSD: over HTTP (cached per run, and on disk if configured) or a local file."""
        if not url:
            raise ValueError("No url given to load")
        scheme = urlsplit(url).scheme.lower()
        if scheme in ("http", "https"):
            if url not in self._memory:
                self._memory[url] = self._clean(self._fetch(url), None, url)
            return self._memory[url]
        path = Path(url[7:] if scheme == "file" else url).resolve()
        if self.local_root is None or not path.is_relative_to(self.local_root):
            raise ForbiddenUrl(f"refusing to read {path}: outside the WSDL's folder", url=None)
        return self._clean(path.read_bytes(), None, str(path))

    def _fetch(self, url: str) -> bytes:
        cached = self._disk(url)
        if cached is not None:
            return cached
        body = self.http.get(url).content
        if self.cache_dir is not None:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            self._cache_file(url).write_bytes(body)
        return body

    def _cache_file(self, url: str) -> Path:
        assert self.cache_dir is not None
        return self.cache_dir / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".xml")

    def _disk(self, url: str) -> bytes | None:
        if self.cache_dir is None:
            return None
        file = self._cache_file(url)
        try:
            if time.time() - file.stat().st_mtime < self.cache_ttl:
                log.debug("WSDL cache hit for %s", url)
                return file.read_bytes()
        except OSError:
            return None
        return None

    def _clean(self, data: bytes, charset: str | None, where: str) -> bytes:
        if not data:
            return data
        clean, report = clean_document(data, charset=charset, where=where)
        self.stats.control_characters += report.control_characters
        if report.relabelled:
            self.stats.relabelled.append(f"{where}: labelled {report.label}, read as {report.read_as}")
        return clean
