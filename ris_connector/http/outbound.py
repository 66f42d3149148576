"""POSTs to targets the operator configured (webhooks, app backends): timeouts and retries.

Connection errors, timeouts, 5xx and 429 are retried with exponential backoff and jitter
(tenacity), honouring Retry-After up to a cap; any other answer is returned to the caller.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from ris_connector.errors import DeliveryError, redact_url
from ris_connector.http.client import parse_retry_after
from ris_connector.http.settings import HttpSettings

log = logging.getLogger(__name__)

USER_AGENT = HttpSettings().effective_user_agent()


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one POST."""

    max_attempts: int = 8
    backoff_initial: float = 0.5
    backoff_max: float = 60.0
    max_retry_after: float = 300.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0


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
) -> requests.Response:
    """POST ``body`` until a non-retryable answer comes; DeliveryError when attempts run out.

    ``headers`` may be a function, called per attempt (fresh timestamps and signatures).
    ``what`` names the payload in log lines and errors (never secrets).
    """
    safe_url = redact_url(url)

    def attempt() -> requests.Response:
        hdrs = {"User-Agent": USER_AGENT, **(headers() if callable(headers) else headers)}
        try:
            response = session.post(
                url,
                data=body,
                headers=hdrs,
                timeout=(policy.connect_timeout, policy.read_timeout),
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise _Retryable(f"timeout: {type(exc).__name__}") from exc
        except requests.ConnectionError as exc:
            raise _Retryable(f"connection failed: {type(exc).__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            response.close()
            raise _Retryable(f"HTTP {response.status_code}", status=response.status_code, retry_after=retry_after)
        return response

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return float(min(exc.retry_after, policy.max_retry_after))
        base: float = min(policy.backoff_max, policy.backoff_initial * 2 ** (state.attempt_number - 1))
        return base * (1 + random.random() * 0.5)

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.info("%s to %s: %s; attempt %d of %d", what, safe_url, exc, state.attempt_number, policy.max_attempts)

    retrying = Retrying(
        retry=retry_if_exception_type(_Retryable),
        stop=stop_after_attempt(policy.max_attempts),
        wait=wait,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except _Retryable as exc:
        raise DeliveryError(
            f"{what}: gave up after {policy.max_attempts} attempts, last: {exc}",
            url=safe_url,
            status=exc.status,
            retryable=True,
        ) from None
