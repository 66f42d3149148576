"""POSTs to targets the operator configured (webhooks, app backends): timeouts, retries, bounds.

Connection errors, timeouts, 5xx and 429 are retried with exponential backoff and jitter,
honouring Retry-After up to ``max_retry_after`` (a longer one gives up at once); any other
answer is returned to the caller. Every POST is bounded: one total ``deadline`` (attempts,
waits and the answer together), and an answer is read only up to ``max_response_bytes``
(streamed, so a 1.5 GB answer costs no memory) or, where the caller needs only the status,
not at all.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3.exceptions

from ris_connector.errors import DeliveryError, redact_url
from ris_connector.http.body import BodyOutOfTime, BodyTooLarge, read_body
from ris_connector.http.client import parse_retry_after
from ris_connector.http.settings import HttpSettings
from ris_connector.http.timing import Budget, backoff, retrying

log = logging.getLogger(__name__)

USER_AGENT = HttpSettings().effective_user_agent()
#: Bytes of an unwanted answer read before the connection is closed instead.
_DRAIN = 64 * 1024


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one POST, and how long and large its answer may be."""

    max_attempts: int = 8
    backoff_initial: float = 0.5
    backoff_max: float = 60.0
    max_retry_after: float = 120.0
    """A longer Retry-After gives up at once (the next push run tries again)."""
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    deadline: float = 600.0
    """Seconds for the whole POST: every attempt, wait and answer read."""
    max_response_bytes: int = 1024 * 1024
    """The largest answer that is read (a larger one fails the POST as not retryable)."""

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= 100:
            raise ValueError("max_attempts must be from 1 to 100")
        numbers = (self.backoff_initial, self.backoff_max, self.max_retry_after, self.max_response_bytes)
        if min(numbers) < 0 or min(self.connect_timeout, self.read_timeout, self.deadline) <= 0:
            raise ValueError("timeouts and the deadline must be positive, waits and sizes not negative")


@dataclass(frozen=True)
class OutboundResponse:
    """An answer to a POST, read within the policy's limits (``content`` empty if not read)."""

    status_code: int
    headers: Mapping[str, str] = field(repr=False)
    content: bytes = field(repr=False)

    def json(self) -> Any:
        """The answer as JSON; ValueError if it is none."""
        return json.loads(self.content)


class _Broken(Exception):
    """The answer broke off after the target took the POST: not repeated within this call."""


class _Retryable(Exception):
    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def post(
    session: requests.Session,
    url: str,
    body: bytes,
    *,
    headers: Mapping[str, str] | Callable[[], Mapping[str, str]],
    policy: RetryPolicy,
    what: str,
    read_answer: bool = True,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> OutboundResponse:
    """POST ``body`` until a non-retryable answer comes; DeliveryError when attempts or time run out.

    ``headers`` may be a function, called per attempt (fresh timestamps and signatures).
    ``what`` names the payload in log lines and errors (never secrets). ``read_answer=False``
    returns the status only (at most 64 KB of the answer are read, to reuse the connection).
    """
    safe_url = redact_url(url)
    budget = Budget(policy.deadline, monotonic)
    budget.start()

    def give_up(message: str, status: int | None = None, *, retryable: bool = True) -> DeliveryError:
        return DeliveryError(f"{what}: {message}", url=safe_url, status=status, retryable=retryable)

    def pause(exc: BaseException, attempt: int) -> float:
        assert isinstance(exc, _Retryable)
        wait = _wait(exc, attempt, policy)
        if wait is None:
            limit = f"max_retry_after ({policy.max_retry_after:g} s)"
            raise give_up(f"{exc}: Retry-After of {exc.retry_after:g} s exceeds {limit}; not waiting", exc.status)
        if wait >= budget.remaining():
            late = f"deadline of {policy.deadline:g} s would pass while waiting {wait:.1f} s"
            raise give_up(f"{late}; last: {exc}", exc.status)
        return wait

    def on_retry(exc: BaseException, attempt: int, wait: float) -> None:
        log.info("%s to %s: %s; attempt %d of %d", what, safe_url, exc, attempt, policy.max_attempts)

    try:
        return retrying(
            lambda: _attempt(session, url, body, headers, policy, budget, read_answer),
            max_attempts=policy.max_attempts,
            retry_on=lambda exc: isinstance(exc, _Retryable),
            wait=pause,
            sleep=sleep,
            on_retry=on_retry,
        )
    except _Retryable as exc:
        raise give_up(f"gave up after {policy.max_attempts} attempts, last: {exc}", exc.status) from None
    except BodyTooLarge:
        raise give_up(f"the answer exceeds {policy.max_response_bytes} bytes", retryable=False) from None
    except BodyOutOfTime:
        raise give_up(f"deadline of {policy.deadline:g} s exceeded") from None
    except _Broken as exc:
        raise give_up(str(exc)) from None


def _wait(exc: _Retryable, attempt: int, policy: RetryPolicy) -> float | None:
    """Seconds before the next attempt; None when the target asks for more than ``max_retry_after``."""
    if exc.retry_after is None:
        return backoff(attempt, policy.backoff_initial, policy.backoff_max)
    return exc.retry_after if exc.retry_after <= policy.max_retry_after else None


def _attempt(
    session: requests.Session,
    url: str,
    body: bytes,
    headers: Mapping[str, str] | Callable[[], Mapping[str, str]],
    policy: RetryPolicy,
    budget: Budget,
    read_answer: bool,
) -> OutboundResponse:
    left = budget.remaining()
    if left <= 0:
        raise BodyOutOfTime(0)
    hdrs = {"User-Agent": USER_AGENT, **(headers() if callable(headers) else headers)}
    try:
        response = session.post(
            url,
            data=body,
            headers=hdrs,
            timeout=(min(policy.connect_timeout, left), min(policy.read_timeout, left)),
            allow_redirects=False,
            stream=True,
        )
    except requests.Timeout as exc:
        raise _Retryable(f"timeout: {type(exc).__name__}") from exc
    except requests.ConnectionError as exc:
        raise _Retryable(f"connection failed: {type(exc).__name__}") from exc
    with response:
        status = response.status_code
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise _Retryable(f"HTTP {status}", status=status, retry_after=retry_after)
        if not read_answer:  # drain a small answer so the connection can be reused; drop a large one
            with contextlib.suppress(urllib3.exceptions.HTTPError, OSError, BodyOutOfTime):
                read_body(response.raw, _DRAIN, budget, policy.read_timeout, truncate=True)
            return OutboundResponse(status, response.headers, b"")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > policy.max_response_bytes:
            raise BodyTooLarge(int(length))
        try:
            content = read_body(response.raw, policy.max_response_bytes, budget, policy.read_timeout)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _Broken(f"HTTP {status}, then the answer broke off: {type(exc).__name__}") from exc
        return OutboundResponse(status, response.headers, content)
