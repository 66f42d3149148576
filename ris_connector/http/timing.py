"""Time rules shared by incoming GETs and outgoing POSTs: one budget per request, backoff waits,
and the retry loop (tenacity)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

T = TypeVar("T")


class Budget:
    """The time one request may still take: ``seconds`` from the moment :meth:`start` is first called.

    Every attempt, redirect, retry wait and body read of the request draws on the same budget,
    so ``deadline`` means the whole request, not one attempt.
    """

    def __init__(self, seconds: float, monotonic: Callable[[], float]) -> None:
        self.seconds = seconds
        self._monotonic = monotonic
        self._end: float | None = None

    def start(self) -> None:
        """Start the clock (once; later calls do nothing)."""
        if self._end is None:
            self._end = self._monotonic() + self.seconds

    def remaining(self) -> float:
        """Seconds left (the whole budget before :meth:`start`); zero or negative once spent."""
        return self.seconds if self._end is None else self._end - self._monotonic()


def backoff(attempt: int, initial: float, cap: float) -> float:
    """Seconds to wait after failed attempt number ``attempt``: exponential, up to 50 % jitter, capped."""
    base = initial * 2.0 ** min(attempt - 1, 60)
    return float(min(cap, base * (1 + random.uniform(0, 0.5))))


def retrying(
    attempt: Callable[[], T],
    *,
    max_attempts: int,
    retry_on: Callable[[BaseException], bool],
    wait: Callable[[BaseException, int], float],
    sleep: Callable[[float], None],
    on_retry: Callable[[BaseException, int, float], None],
) -> T:
    """Call ``attempt`` until it returns, fails with an error ``retry_on`` rejects, or attempts run out.

    tenacity drives the loop. ``wait(error, attempt_number)`` gives the pause before the next
    attempt and may raise instead, to stop at once (a Retry-After too long, a deadline that the
    wait would pass); ``on_retry`` runs before each pause. The last error is re-raised as is.
    """

    def pause(state: RetryCallState) -> float:
        assert state.outcome is not None
        error = state.outcome.exception()
        assert error is not None
        return wait(error, state.attempt_number)

    def before_sleep(state: RetryCallState) -> None:
        assert state.outcome is not None and state.next_action is not None
        error = state.outcome.exception()
        assert error is not None
        on_retry(error, state.attempt_number, state.next_action.sleep)

    driver = Retrying(
        stop=stop_after_attempt(max_attempts),
        wait=pause,
        retry=retry_if_exception(retry_on),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    return driver(attempt)
