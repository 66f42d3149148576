"""The HTTP client: bounded, retrying, rate-limited GETs confined to the allowed hosts."""

from __future__ import annotations

import contextlib
import http.client
import logging
import random
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from ris_connector.errors import (
    ConnectionFailed,
    HttpStatusError,
    InvalidPayload,
    NotFound,
    RateLimited,
    RequestTimeout,
    ResponseTooLarge,
    ServerError,
    SourceError,
    TooManyRedirects,
    TransientError,
    redact_url,
)
from ris_connector.http.ratelimit import RateLimiter, effective_rate
from ris_connector.http.response import HttpResponse
from ris_connector.http.settings import HttpSettings
from ris_connector.http.urlpolicy import UrlPolicy, normalize_host

log = logging.getLogger("ris_connector.http")

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_ERROR_BODY = 2048


@dataclass
class HttpStats:
    """Counters of one client: requests sent (retries and redirects included), retries, body bytes."""

    requests: int = 0
    retries: int = 0
    bytes: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class HttpClient:
    """GETs for one source: one session, retries, per-host rate limit and concurrency cap."""

    def __init__(
        self,
        home_url: str,
        settings: HttpSettings | None = None,
        *,
        source: str | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or HttpSettings()
        self.source = source
        self.policy = UrlPolicy(home_url, self.settings, source=source)
        self._sleep = sleep
        self._monotonic = monotonic
        self._limiter = RateLimiter(monotonic=monotonic, sleep=sleep)
        self._lock = threading.Lock()
        self._stats = HttpStats()
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_maxsize=self.settings.max_connections, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self._session = session
        self._headers = {"User-Agent": self.settings.effective_user_agent()}
        password = self.settings.password.get_secret_value() if self.settings.password else ""
        self._auth = (self.settings.username, password) if self.settings.username else None
        self._token = self.settings.token.get_secret_value() if self.settings.token else None

    @property
    def stats(self) -> HttpStats:
        """A consistent snapshot of the counters."""
        with self._lock:
            return replace(self._stats, statuses=dict(self._stats.statuses))

    def close(self) -> None:
        """Close the session if this client created it."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        raw_query: str | None = None,
        headers: Mapping[str, str] | None = None,
        accept_status: Collection[int] = (),
    ) -> HttpResponse:
        """GET ``url`` with retries; raise a :mod:`ris_connector.errors` SourceError on failure.

        ``raw_query`` is appended verbatim (no encoding by requests), ``params`` are encoded.
        2xx, 304 and ``accept_status`` are returned; 404/410 raise NotFound, other 4xx HttpStatusError.
        """
        if params and raw_query is not None:
            raise ValueError("pass either params or raw_query, not both")
        if params:
            prepared = requests.PreparedRequest()
            prepared.prepare_url(url, dict(params))
            url = prepared.url or url
        retrying = Retrying(
            sleep=self._sleep,
            stop=stop_after_attempt(self.settings.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(TransientError),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            self.policy.check(url)
            return retrying(self._attempt, url, raw_query, dict(headers or {}), frozenset(accept_status))
        except SourceError as exc:
            if exc.source is None:
                exc.source = self.source
            raise

    # -- one attempt: a redirect chain ------------------------------------------------------------

    def _attempt(
        self, url: str, raw_query: str | None, headers: dict[str, str], accept: frozenset[int]
    ) -> HttpResponse:
        started = self._monotonic()
        visits: dict[str, int] = {}
        current, query = url, raw_query
        for _hop in range(self.settings.max_redirects + 1):
            result = self._hop(current, query, headers, accept)
            if isinstance(result, HttpResponse):
                return replace(result, elapsed=self._monotonic() - started)
            visits[result] = visits.get(result, 0) + 1
            if visits[result] > 2:
                raise TooManyRedirects(f"redirect loop at {redact_url(result)}", url=url)
            self.policy.check(result)
            current, query = result, None
        raise TooManyRedirects(f"more than {self.settings.max_redirects} redirects", url=url)

    def _hop(
        self, url: str, raw_query: str | None, headers: dict[str, str], accept: frozenset[int]
    ) -> HttpResponse | str:
        """Send one request; return the response, or the absolute URL it redirects to."""
        host = normalize_host(urlsplit(url).hostname or "")
        with self._slot(host):
            self._limiter.wait(host, effective_rate(host, self.settings.rate_limit))
            started = self._monotonic()
            response = self._send(url, raw_query, headers, host, started)
            with response:
                final_url, status = response.url, response.status_code
                log.debug(
                    "GET %s -> %d (%d ms)",
                    redact_url(final_url),
                    status,
                    (self._monotonic() - started) * 1000,
                )
                location = response.headers.get("location")
                if status in _REDIRECTS and location:
                    return urljoin(final_url, _native(location))
                return self._classify(response, final_url, accept, started)

    @contextlib.contextmanager
    def _slot(self, host: str) -> Iterator[None]:
        with self._lock:
            semaphore = self._semaphores.get(host)
            if semaphore is None:
                semaphore = threading.BoundedSemaphore(self.settings.max_connections)
                self._semaphores[host] = semaphore
        with semaphore:
            yield

    def _send(
        self, url: str, raw_query: str | None, headers: dict[str, str], host: str, started: float
    ) -> requests.Response:
        s = self.settings
        same_host = host == self.policy.home_host
        request = requests.Request("GET", url, headers={**self._headers, **headers})
        if same_host and self._auth:
            request.auth = self._auth
        elif same_host and self._token:
            request.headers["Authorization"] = f"Bearer {self._token}"
        prepared = self._session.prepare_request(request)
        if raw_query is not None and prepared.url:
            prepared.url += ("&" if urlsplit(prepared.url).query else "?") + raw_query
        env = self._session.merge_environment_settings(prepared.url, {}, True, s.verify, None)
        with self._lock:
            self._stats.requests += 1
        shown = redact_url(url)
        try:
            response = self._session.send(
                prepared,
                timeout=(s.connect_timeout, min(s.read_timeout, s.deadline)),
                allow_redirects=False,
                **env,
            )
        except requests.exceptions.Timeout as exc:
            raise RequestTimeout(f"timeout for {shown}: {type(exc).__name__}", url=url) from exc
        except requests.exceptions.SSLError as exc:
            raise SourceError(f"TLS error for {shown}", url=url) from exc
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise ConnectionFailed(f"connection failed for {shown}: {type(exc).__name__}", url=url) from exc
        except requests.exceptions.RequestException as exc:
            raise SourceError(f"request failed for {shown}: {type(exc).__name__}", url=url) from exc
        with self._lock:
            self._stats.statuses[response.status_code] = self._stats.statuses.get(response.status_code, 0) + 1
        return response

    # -- status and body ------------------------------------------------------------------------

    def _classify(self, response: requests.Response, url: str, accept: frozenset[int], started: float) -> HttpResponse:
        status = response.status_code
        shown = redact_url(url)
        if 200 <= status < 300 or status == 304 or status in accept:
            length = _content_length(response)
            if length is not None and length > self.settings.max_bytes:
                raise ResponseTooLarge(
                    f"HTTP {status}: Content-Length {length} exceeds {self.settings.max_bytes} bytes",
                    url=url,
                )
            body = self._read_body(response, url, started, self.settings.max_bytes, truncate=False)
            return HttpResponse(url=url, status=status, headers=response.headers, content=body, elapsed=0.0)
        try:
            body = self._read_body(response, url, started, _ERROR_BODY, truncate=True)
        except SourceError:
            body = b""
        message = f"HTTP {status} for {shown}"
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if status == 429 or (status == 503 and retry_after is not None):
            raise RateLimited(message, retry_after=retry_after, url=url)
        if 500 <= status < 600:
            raise ServerError(message, status=status, url=url)
        if status in (404, 410):
            raise NotFound(message, status=status, url=url, body=body)
        raise HttpStatusError(message, status=status, url=url, body=body)

    def _read_body(self, response: requests.Response, url: str, started: float, limit: int, *, truncate: bool) -> bytes:
        """Stream the body within the deadline and size limit (``truncate``: stop at ``limit``)."""
        s = self.settings
        shown = redact_url(url)
        raw: Any = response.raw
        reader: Callable[..., bytes | None] = getattr(raw, "read1", raw.read)
        body = bytearray()
        try:
            while True:
                if self._monotonic() - started > s.deadline:
                    raise RequestTimeout(f"deadline of {s.deadline:g} s exceeded for {shown}", url=url)
                chunk = reader(_CHUNK, decode_content=True)
                if not chunk:
                    break
                body += chunk
                if len(body) > limit:
                    if truncate:
                        del body[limit:]
                        break
                    raise ResponseTooLarge(f"body of {shown} exceeds {limit} bytes", url=url)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise RequestTimeout(f"read timeout for {shown}", url=url) from exc
        except urllib3.exceptions.DecodeError as exc:
            raise InvalidPayload(f"undecodable body of {shown}", url=url) from exc
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
            raise ConnectionFailed(f"body of {shown} broke off: {type(exc).__name__}", url=url) from exc
        finally:
            with self._lock:
                self._stats.bytes += len(body)
        length = _content_length(response)
        encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
        if not truncate and not encoded and length is not None and len(body) < length:
            raise ConnectionFailed(f"body of {shown} incomplete: {len(body)} of {length} bytes", url=url)
        if self._monotonic() - started > s.deadline:
            raise RequestTimeout(f"deadline of {s.deadline:g} s exceeded for {shown}", url=url)
        return bytes(body)

    # -- retry policy -----------------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        """Retry-After (capped) for RateLimited, else exponential backoff with up to 50 % jitter."""
        s = self.settings
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return min(exc.retry_after, s.max_retry_after)
        base = s.backoff_initial * 2.0 ** (state.attempt_number - 1)
        return min(s.backoff_max, base * (1 + random.uniform(0, 0.5)))

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        with self._lock:
            self._stats.retries += 1
        log.warning(
            "retrying after %s (attempt %d/%d failed), waiting %.2f s",
            exc,
            state.attempt_number,
            self.settings.max_attempts,
            wait,
        )


def _content_length(response: requests.Response) -> int | None:
    try:
        return int(response.headers["content-length"])
    except (KeyError, ValueError):
        return None


def _native(location: str) -> str:
    """http.client decodes headers as latin-1; undo that for UTF-8 Location values."""
    try:
        return location.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return location
