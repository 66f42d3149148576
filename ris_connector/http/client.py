"""The HTTP client: bounded, retrying, rate-limited GETs (and POSTs) confined to the allowed hosts.

Three promises hold for every request, redirects and retries included:

* **one total deadline**: ``deadline`` seconds from the first attempt's start to the last
  byte, attempts, redirects, retry waits and body reads together (each socket wait is cut to
  the time left); a retry whose wait would pass it is not made;
* **credentials only to the home origin** (scheme, host and port of the configured URL):
  Basic credentials, the bearer token and any ``Authorization`` header are dropped for the
  rest of a redirect chain once it leaves the origin, so never go over ``http`` when the
  source was configured with ``https``; every hop is checked against the URL policy;
* **bounded waits and bodies**: a ``Retry-After`` above ``max_retry_after`` fails at once,
  bodies stop at ``max_bytes`` (or the caller's smaller limit).
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import IO, Any, cast
from urllib.parse import quote, urljoin

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from requests.cookies import extract_cookies_to_jar

from ris_connector.errors import (
    ConnectionFailed,
    DeadlineExceeded,
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
from ris_connector.http.body import BodyOutOfTime, BodyTooLarge, read_body
from ris_connector.http.ratelimit import RateLimiter, effective_rate
from ris_connector.http.response import HttpResponse
from ris_connector.http.settings import HttpSettings
from ris_connector.http.timing import Budget, backoff, retrying
from ris_connector.http.urlpolicy import UrlPolicy, origin_of

log = logging.getLogger("ris_connector.http")

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ERROR_BODY = 2048
#: Request headers that carry credentials: dropped once a redirect chain leaves the home origin.
#: (Cookies are left to the session's jar, which scopes them by domain as a browser does.)
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})
#: Origins whose environment settings a client remembers (a source talks to a few hosts).
_ENV_ORIGINS = 64


@dataclass
class HttpStats:
    """Counters of one client: requests sent (retries and redirects included), retries, body bytes."""

    requests: int = 0
    retries: int = 0
    bytes: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


@dataclass
class _Call:
    """One request as the caller made it, with its time budget."""

    method: str
    url: str
    raw_query: str | None
    headers: dict[str, str]
    accept: frozenset[int]
    data: bytes | None
    sink: IO[bytes] | None
    max_bytes: int
    budget: Budget


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value) if len(value) < 16 else float("inf")
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
        self._env: dict[str, Mapping[str, Any]] = {}
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

    def same_origin(self, url: str) -> bool:
        """Whether ``url`` has the home origin (scheme, host, port): only then may credentials go there."""
        return self.policy.same_origin(url)

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
        max_bytes: int | None = None,
    ) -> HttpResponse:
        """GET ``url`` with retries; raise a :mod:`ris_connector.errors` SourceError on failure.

        ``raw_query`` is appended verbatim (no encoding by requests), ``params`` are encoded.
        2xx, 304 and ``accept_status`` are returned; 404/410 raise NotFound, other 4xx HttpStatusError.
        ``max_bytes`` lowers the size limit for this request (never above the setting).
        """
        if params and raw_query is not None:
            raise ValueError("pass either params or raw_query, not both")
        if params:
            prepared = requests.PreparedRequest()
            prepared.prepare_url(url, dict(params))
            url = prepared.url or url
        return self._request(self._call("GET", url, raw_query, headers, accept_status, None, None, max_bytes))

    def post(
        self,
        url: str,
        data: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        accept_status: Collection[int] = (),
        max_bytes: int | None = None,
    ) -> HttpResponse:
        """POST ``data`` under the same policy as :meth:`get`: allowed hosts, rate limit, retries,
        deadline, size limit and stats. Meant for read-only calls (SOAP), so transient faults are
        retried; redirects are not followed. ``accept_status`` as for :meth:`get` (e.g. 500 for SOAP faults).
        """
        return self._request(self._call("POST", url, None, headers, accept_status, data, None, max_bytes))

    def download(
        self,
        url: str,
        sink: IO[bytes],
        *,
        headers: Mapping[str, str] | None = None,
        accept_status: Collection[int] = (),
    ) -> HttpResponse:
        """GET ``url`` streaming a 2xx body into ``sink`` (seekable); same policy, retries and limits as get.

        The returned response has empty ``content``. ``sink`` is rewound and truncated before
        each attempt, so after a retry it holds one complete body only. For 304 and
        ``accept_status`` answers nothing is written.
        """
        return self._request(self._call("GET", url, None, headers, accept_status, None, sink, None))

    def _call(
        self,
        method: str,
        url: str,
        raw_query: str | None,
        headers: Mapping[str, str] | None,
        accept_status: Collection[int],
        data: bytes | None,
        sink: IO[bytes] | None,
        max_bytes: int | None,
    ) -> _Call:
        limit = self.settings.max_bytes if max_bytes is None else min(max_bytes, self.settings.max_bytes)
        budget = Budget(self.settings.deadline, self._monotonic)
        return _Call(method, url, raw_query, dict(headers or {}), frozenset(accept_status), data, sink, limit, budget)

    # -- retries ------------------------------------------------------------------------------

    def _request(self, call: _Call) -> HttpResponse:
        try:
            self.policy.check(call.url)
            return self._retrying(call)
        except SourceError as exc:
            if exc.source is None:
                exc.source = self.source
            raise

    def _retrying(self, call: _Call) -> HttpResponse:
        """Attempts until one succeeds, a fault is not transient, or attempts or time run out."""

        def attempt() -> HttpResponse:
            if call.sink is not None:  # after a retry the sink must hold one complete body only
                call.sink.seek(0)
                call.sink.truncate()
            return self._attempt(call)

        def on_retry(exc: BaseException, number: int, wait: float) -> None:
            with self._lock:
                self._stats.retries += 1
            log.warning(
                "retrying after %s (attempt %d/%d failed), waiting %.2f s",
                exc,
                number,
                self.settings.max_attempts,
                wait,
            )

        return retrying(
            attempt,
            max_attempts=self.settings.max_attempts,
            retry_on=lambda exc: isinstance(exc, TransientError) and not isinstance(exc, DeadlineExceeded),
            wait=lambda exc, number: self._wait(call, cast(TransientError, exc), number),
            sleep=self._sleep,
            on_retry=on_retry,
        )

    def _wait(self, call: _Call, exc: TransientError, attempt: int) -> float:
        """Seconds before the next attempt; raises instead when waiting is not worth it.

        Retry-After is honoured up to ``max_retry_after`` (a longer one fails at once, as
        :class:`RateLimited`); otherwise exponential backoff with up to 50 % jitter. A wait
        that would pass the request's deadline fails at once (:class:`DeadlineExceeded`).
        """
        s = self.settings
        shown = redact_url(call.url)
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            if exc.retry_after > s.max_retry_after:
                raise RateLimited(
                    f"{exc.args[0]}: Retry-After of {exc.retry_after:g} s exceeds max_retry_after "
                    f"({s.max_retry_after:g} s); not waiting",
                    retry_after=exc.retry_after,
                    url=call.url,
                ) from None
            wait = exc.retry_after
        else:
            wait = backoff(attempt, s.backoff_initial, s.backoff_max)
        if wait >= call.budget.remaining():
            raise DeadlineExceeded(
                f"deadline of {s.deadline:g} s for {shown} would pass while waiting {wait:.1f} s "
                f"after attempt {attempt}: {exc.args[0] if exc.args else exc}",
                url=call.url,
            ) from None
        return wait

    # -- one attempt: a redirect chain ------------------------------------------------------------

    def _attempt(self, call: _Call) -> HttpResponse:
        started = self._monotonic()
        visits: dict[str, int] = {}
        current, query = call.url, call.raw_query
        trusted = True  # the chain has not left the home origin: credentials may be sent
        for _hop in range(self.settings.max_redirects + 1):
            trusted = trusted and self.policy.same_origin(current)
            result = self._hop(call, current, query, trusted)
            if isinstance(result, HttpResponse):
                return replace(result, elapsed=self._monotonic() - started)
            if call.method != "GET":
                raise SourceError(
                    f"{call.method} to {redact_url(current)} redirected to {redact_url(result)}; not followed"
                )
            visits[result] = visits.get(result, 0) + 1
            if visits[result] > 2:
                raise TooManyRedirects(f"redirect loop at {redact_url(result)}", url=call.url)
            self.policy.check(result)
            current, query = result, None
        raise TooManyRedirects(f"more than {self.settings.max_redirects} redirects", url=call.url)

    def _hop(self, call: _Call, url: str, raw_query: str | None, trusted: bool) -> HttpResponse | str:
        """Send one request; return the response, or the absolute URL it redirects to."""
        origin = origin_of(url)
        host = origin.host if origin else ""
        with self._slot(host):
            self._limiter.wait(host, effective_rate(host, self.settings.rate_limit))
            call.budget.start()
            self._check_deadline(call, url)
            started = self._monotonic()
            response = self._send(call, url, raw_query, trusted)
            with response:
                final_url, status = response.url, response.status_code
                log.debug(
                    "%s %s -> %d (%d ms)",
                    call.method,
                    redact_url(final_url),
                    status,
                    (self._monotonic() - started) * 1000,
                )
                location = response.headers.get("location")
                if status in _REDIRECTS and location:
                    try:
                        return urljoin(final_url, _location(location))
                    except ValueError:  # e.g. "http://[::1/x": no URL to follow (issue 13, fuzz test)
                        raise InvalidPayload(
                            f"HTTP {status} redirects to a URL that does not parse: {redact_url(location)}", url=url
                        ) from None
                return self._classify(call, response, final_url)

    def _check_deadline(self, call: _Call, url: str) -> None:
        if call.budget.remaining() <= 0:
            raise DeadlineExceeded(f"deadline of {self.settings.deadline:g} s exceeded for {redact_url(url)}", url=url)

    @contextlib.contextmanager
    def _slot(self, host: str) -> Iterator[None]:
        with self._lock:
            semaphore = self._semaphores.get(host)
            if semaphore is None:
                semaphore = threading.BoundedSemaphore(self.settings.max_connections)
                self._semaphores[host] = semaphore
        with semaphore:
            yield

    def _send(self, call: _Call, url: str, raw_query: str | None, trusted: bool) -> requests.Response:
        """One request, no redirect handling (that is ours, see :meth:`_attempt`)."""
        s = self.settings
        headers = {**self._headers, **call.headers}
        if not trusted:
            headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
        request = requests.Request(call.method, url, headers=headers, data=call.data)
        if trusted and self._auth:
            request.auth = self._auth
        elif trusted and self._token:
            request.headers["Authorization"] = f"Bearer {self._token}"
        prepared = self._session.prepare_request(request)
        if not trusted:  # user info in the URL, netrc, session auth: none of it leaves the origin
            prepared.headers.pop("Authorization", None)
        if raw_query is not None and prepared.url:
            prepared.url += ("&" if "?" in prepared.url else "?") + raw_query
        target = prepared.url or url
        env = self._environment(target, s.verify)
        left = call.budget.remaining()
        with self._lock:
            self._stats.requests += 1
        shown = redact_url(url)
        try:
            # The adapter directly, not Session.send: that would resolve the redirect itself (and
            # fail on a Location header that is not UTF-8); cookies are kept as the session would.
            response = self._session.get_adapter(target).send(
                prepared,
                stream=True,
                timeout=(min(s.connect_timeout, left), min(s.read_timeout, left)),
                verify=s.verify if env["verify"] is None else env["verify"],
                cert=env["cert"],
                proxies=env["proxies"],
            )
        except requests.exceptions.Timeout as exc:
            raise RequestTimeout(f"timeout for {shown}: {type(exc).__name__}", url=url) from exc
        except requests.exceptions.SSLError as exc:
            raise SourceError(f"TLS error for {shown}", url=url) from exc
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise ConnectionFailed(f"connection failed for {shown}: {type(exc).__name__}", url=url) from exc
        except requests.exceptions.RequestException as exc:
            raise SourceError(f"request failed for {shown}: {type(exc).__name__}", url=url) from exc
        extract_cookies_to_jar(self._session.cookies, prepared, response.raw)  # type: ignore[no-untyped-call]
        with self._lock:
            self._stats.statuses[response.status_code] = self._stats.statuses.get(response.status_code, 0) + 1
        return response

    def _environment(self, url: str, verify: bool | str) -> Mapping[str, Any]:
        """requests' settings from the environment for ``url`` (proxies, ``no_proxy``, CA bundle),
        read once per origin: requests reads every environment variable again for each request
        (a tenth of a request's CPU). They depend only on the scheme, host and port."""
        cut = url.find("/", url.find("//") + 2)
        origin = url if cut < 0 else url[:cut]
        env = self._env.get(origin)
        if env is None:
            env = self._session.merge_environment_settings(url, {}, True, verify, None)
            if len(self._env) >= _ENV_ORIGINS:
                self._env.clear()
            self._env[origin] = env
        return env

    # -- status and body ------------------------------------------------------------------------

    def _classify(self, call: _Call, response: requests.Response, url: str) -> HttpResponse:
        status = response.status_code
        shown = redact_url(url)
        if 200 <= status < 300 or status == 304 or status in call.accept:
            length = _content_length(response)
            if length is not None and length > call.max_bytes:
                raise ResponseTooLarge(
                    f"HTTP {status}: Content-Length {length} exceeds {call.max_bytes} bytes", url=url
                )
            sink = call.sink if call.sink is not None and 200 <= status < 300 else None
            body = self._read_body(call, response, url, call.max_bytes, truncate=False, sink=sink)
            return HttpResponse(url=url, status=status, headers=response.headers, content=body, elapsed=0.0)
        try:
            body = self._read_body(call, response, url, _ERROR_BODY, truncate=True)
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

    def _read_body(
        self,
        call: _Call,
        response: requests.Response,
        url: str,
        limit: int,
        *,
        truncate: bool,
        sink: IO[bytes] | None = None,
    ) -> bytes:
        """Stream the body within the deadline and size limit (``truncate``: stop at ``limit``).

        With ``sink`` the body is written there and ``b""`` returned (memory stays bounded).
        Each socket read waits at most the time the request has left (see :mod:`.body`).
        """
        shown = redact_url(url)
        received = [0]
        try:
            body = read_body(
                response.raw,
                limit,
                call.budget,
                self.settings.read_timeout,
                truncate=truncate,
                sink=sink,
                received=received,
            )
        except BodyTooLarge:
            raise ResponseTooLarge(f"body of {shown} exceeds {limit} bytes", url=url) from None
        except BodyOutOfTime:
            raise DeadlineExceeded(f"deadline of {self.settings.deadline:g} s exceeded for {shown}", url=url) from None
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise RequestTimeout(f"read timeout for {shown}", url=url) from exc
        except urllib3.exceptions.DecodeError as exc:
            raise InvalidPayload(f"undecodable body of {shown}", url=url) from exc
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
            raise ConnectionFailed(f"body of {shown} broke off: {type(exc).__name__}", url=url) from exc
        finally:
            with self._lock:
                self._stats.bytes += received[0]
        length = _content_length(response)
        encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
        if not truncate and not encoded and length is not None and received[0] < length:
            raise ConnectionFailed(f"body of {shown} incomplete: {received[0]} of {length} bytes", url=url)
        return body


def _content_length(response: requests.Response) -> int | None:
    try:
        return int(response.headers["content-length"])
    except (KeyError, ValueError):
        return None


#: Characters kept as they are when a Location value is percent-encoded: every printable ASCII
#: character except space (reserved characters keep their meaning, ``%XX`` stays an escape).
_LOCATION_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))


def _location(value: str) -> str:
    """A Location header value as a URL: raw non-ASCII bytes percent-encoded as they were sent.

    http.client decodes header bytes as latin-1, so ``value`` holds one character per byte.
    Encoding those bytes (``ü`` sent as latin-1 ``\\xfc`` becomes ``%FC``, sent as UTF-8
    ``%C3%BC``) asks the server for exactly the path it named, whichever charset it used.
    """
    if value.isascii() and " " not in value:
        return value
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:  # not from http.client (a recording stub): already text
        raw = value.encode("utf-8")
    return quote(raw.strip(), safe=_LOCATION_SAFE)
