"""A zeep transport that sends through the core HttpClient, so SOAP gets the same guarantees.

Timeouts, retries, the rate limit, the allowed hosts, the deadline and the request stats all
come from :class:`~ris_connector.http.HttpClient`. Every document zeep receives (WSDL, XSD,
responses) is cleaned by :func:`ris_connector.xmlsafe.clean_document` first: DOCTYPEs are
refused, lying encodings repaired, control characters removed and counted. Local schema
files are read only from the WSDL's own folder.

What a hostile service cannot do through it (:class:`SoapLimits`):

* get credentials of any kind to another origin: HTTP Basic and the WS-Security
  UsernameToken are added here, per call, and only when the call goes to the source's
  configured origin (scheme, host, port); a ``soap:address`` elsewhere is refused while
  credentials are configured;
* exhaust the stack or the network with schema imports: documents per client and import
  depth are limited;
* exhaust memory with one answer: zeep holds about 15 times an answer's size while it parses
  it, so answers (and WSDL/XSD documents) above ``max_response_bytes`` are refused;
* make a run call without end: calls per run are limited.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from zeep.loader import absolute_location
from zeep.transports import Transport
from zeep.wsdl.utils import etree_to_string

from ris_connector.errors import ForbiddenUrl, ResponseTooLarge, SourceError, redact_url
from ris_connector.http import HttpClient
from ris_connector.xmlsafe import clean_document, safe_parser

log = logging.getLogger(__name__)

#: Attributes naming another schema document: xsd:import/include/redefine, wsdl:import.
_LOCATION_ATTRIBUTES = ("schemaLocation", "location")


@dataclass(frozen=True)
class SoapLimits:
    """Bounds of one SOAP client (see the module docstring); each has a source option."""

    max_schema_documents: int = 100
    """WSDL and XSD documents one client may load (imports and includes counted)."""
    max_schema_depth: int = 20
    """How deep imports may nest (the WSDL is depth 0)."""
    max_response_bytes: int = 8 * 1024 * 1024
    """Largest answer or schema document; zeep needs about 15 times this in memory."""
    max_calls: int = 100_000
    """SOAP calls per run (the list calls and every ``for_each`` follow-up call)."""


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


def _local_path(location: str) -> Path:
    """The resolved file a ``file:`` URL or a path names (the key of local schema documents)."""
    return Path(location[7:] if urlsplit(location).scheme.lower() == "file" else location).resolve()


class SoapLimitExceeded(SourceError):
    """A bound of :class:`SoapLimits` was reached; the message names the option to raise."""


class CoreTransport(Transport):
    """zeep transport over :class:`HttpClient`; see the module docstring.

    ``auth_header`` (an ``Authorization`` value) and ``wsse`` (a zeep WS-Security plugin such
    as ``UsernameToken``) are applied by this transport to calls to the home origin only; do
    not give ``wsse`` to the zeep client itself.
    """

    def __init__(
        self,
        http: HttpClient,
        *,
        local_root: Path | None = None,
        cache_dir: Path | None = None,
        cache_ttl: float = 86400.0,
        auth_header: str | None = None,
        wsse: Any = None,
        limits: SoapLimits | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.session.close()  # zeep's own session is never used
        self.http = http
        self.local_root = local_root.resolve() if local_root else None
        self.cache_dir = cache_dir
        self.cache_ttl = cache_ttl
        self.limits = limits or SoapLimits()
        self._memory: dict[str, bytes] = {}
        self._depth: dict[str, int] = {}
        self._loaded: set[str] = set()
        self._auth_header = auth_header
        self._wsse = wsse
        self.calls = 0
        self.stats = CleanStats()

    # -- SOAP calls --------------------------------------------------------------------------
    def post_xml(self, address: str, envelope: etree._Element, headers: dict[str, str]) -> _Reply:
        """Sign the envelope (WS-Security) for the home origin only, then send it."""
        if self._wsse is not None:
            self._require_home(address)
            envelope, headers = self._wsse.apply(envelope, headers)
        return self.post(address, etree_to_string(envelope), headers)  # type: ignore[no-untyped-call]

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> _Reply:
        """Send one envelope; SOAP faults arrive as HTTP 500 and are handed to zeep to decode."""
        self.calls += 1
        if self.calls > self.limits.max_calls:
            raise SoapLimitExceeded(
                f"more than {self.limits.max_calls} SOAP calls in one run (option max_calls)", url=address
            )
        data = message.encode("utf-8") if isinstance(message, str) else message
        send = dict(headers)
        if self._auth_header:
            self._require_home(address)
            send["Authorization"] = self._auth_header
        try:
            response = self.http.post(
                address, data, headers=send, accept_status={500}, max_bytes=self.limits.max_response_bytes
            )
        except ResponseTooLarge:
            raise SoapLimitExceeded(
                f"the answer exceeds {self.limits.max_response_bytes} bytes (option max_response_bytes)", url=address
            ) from None
        content = self._clean(response.content, response.charset, address)
        return _Reply(response.status, content, response.headers)

    def _require_home(self, address: str) -> None:
        """Credentials go to the configured origin only: refuse a call elsewhere while they are set."""
        if not self.http.same_origin(address):
            raise ForbiddenUrl(
                f"refusing to send credentials to {redact_url(address)}: the service address is not the "
                f"configured origin {self.http.policy.home}; configure the endpoint as the source's url "
                "(with a local copy of the WSDL) if it is the right one",
                url=address,
            )

    # -- WSDL and schemas --------------------------------------------------------------------
    def load(self, url: str) -> bytes:
        """A WSDL or XSD: over HTTP (cached per run, and on disk if configured) or a local file."""
        if not url:
            raise ValueError("No url given to load")
        scheme = urlsplit(url).scheme.lower()
        if scheme in ("http", "https"):
            if url not in self._memory:
                self._admit(url)
                self._memory[url] = self._clean(self._fetch(url), None, url)
                self._note_imports(url, self._memory[url])
            return self._memory[url]
        path = _local_path(url)
        if self.local_root is None or not path.is_relative_to(self.local_root):
            raise ForbiddenUrl(f"refusing to read {path}: outside the WSDL's folder", url=None)
        self._admit(str(path))
        if path.stat().st_size > self.limits.max_response_bytes:
            raise self._too_large(str(path))
        document = self._clean(path.read_bytes(), None, str(path))
        self._note_imports(str(path), document)
        return document

    def _admit(self, where: str) -> None:
        """Count a new schema document and check its import depth."""
        if where not in self._loaded:
            self._loaded.add(where)
            if len(self._loaded) > self.limits.max_schema_documents:
                raise SoapLimitExceeded(
                    f"the WSDL needs more than {self.limits.max_schema_documents} schema documents "
                    f"(option max_schema_documents); last {redact_url(where)}"
                )
        depth = self._depth.get(where, 0)
        if depth > self.limits.max_schema_depth:
            raise SoapLimitExceeded(
                f"schema imports nest deeper than {self.limits.max_schema_depth} "
                f"(option max_schema_depth) at {redact_url(where)}"
            )

    def _note_imports(self, url: str, document: bytes) -> None:
        """Remember the depth of the documents ``document`` imports (one more than its own)."""
        try:
            root = etree.fromstring(document, parser=safe_parser())
        except etree.XMLSyntaxError:
            return  # zeep reports it
        depth = self._depth.get(url, 0) + 1
        for element in root.iter("{*}import", "{*}include", "{*}redefine"):
            for name in _LOCATION_ATTRIBUTES:
                location = element.get(name)
                if location:
                    child = absolute_location(location, url)  # type: ignore[no-untyped-call]
                    key = child if urlsplit(child).scheme.lower() in ("http", "https") else str(_local_path(child))
                    self._depth[key] = min(depth, self._depth.get(key, depth))

    def _fetch(self, url: str) -> bytes:
        cached = self._disk(url)
        if cached is not None:
            return cached
        try:
            body = self.http.get(url, max_bytes=self.limits.max_response_bytes).content
        except ResponseTooLarge:
            raise self._too_large(url) from None
        if self.cache_dir is not None:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            self._cache_file(url).write_bytes(body)
        return body

    def _too_large(self, where: str) -> SoapLimitExceeded:
        return SoapLimitExceeded(
            f"schema document {redact_url(where)} exceeds {self.limits.max_response_bytes} bytes "
            "(option max_response_bytes)"
        )

    def _cache_file(self, url: str) -> Path:
        assert self.cache_dir is not None
        return self.cache_dir / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".xml")

    def _disk(self, url: str) -> bytes | None:
        if self.cache_dir is None:
            return None
        file = self._cache_file(url)
        try:
            if time.time() - file.stat().st_mtime < self.cache_ttl:
                log.debug("WSDL cache hit for %s", redact_url(url))
                return file.read_bytes()
        except OSError:
            return None
        return None

    def _clean(self, data: bytes, charset: str | None, where: str) -> bytes:
        if not data:
            return data
        clean, report = clean_document(data, charset=charset, where=redact_url(where))
        self.stats.control_characters += report.control_characters
        if report.relabelled:
            self.stats.relabelled.append(f"{redact_url(where)}: labelled {report.label}, read as {report.read_as}")
        return clean
