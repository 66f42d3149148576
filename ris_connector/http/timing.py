"""Time rules shared by incoming GETs and outgoing POSTs: one budget per request, backoff waits."""

from __future__ import annotations

import random
from collections.abc import Callable


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
