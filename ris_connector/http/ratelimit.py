"""A thread-safe per-host rate limiter: a minimum interval between request starts."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable

DEFAULT_RATE = 2.0
"""Requests per second per host when none is configured (politeness, quirk row 40)."""


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` names and loopback IP literals (no DNS lookup)."""
    host = host.lower().rstrip(".").strip("[]")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def effective_rate(host: str, configured: float | None) -> float:
    """Requests per second for ``host``; 0 means unlimited. None = auto (unlimited on loopback)."""
    if configured is not None:
        return configured
    return 0.0 if is_loopback_host(host) else DEFAULT_RATE


class RateLimiter:
    """Spaces request starts per key by ``1 / rate`` seconds. Clock and sleep are injectable."""

    def __init__(
        self,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start: dict[str, float] = {}

    def wait(self, key: str, rate: float) -> float:
        """Block until a request to ``key`` may start; return the time slept. ``rate <= 0``: no wait."""
        if rate <= 0:
            return 0.0
        with self._lock:
            now = self._monotonic()
            start = max(now, self._next_start.get(key, now))
            self._next_start[key] = start + 1.0 / rate
        delay = start - now
        if delay > 0:
            self._sleep(delay)
        return max(delay, 0.0)
