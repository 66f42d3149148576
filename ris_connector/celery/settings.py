"""Settings of a Celery fleet, read from the environment so that ``celery -A ...`` needs no flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ris_connector.config import parse_duration
from ris_connector.errors import ConfigError

ENV_PREFIX = "RIS_"


@dataclass(frozen=True)
class FleetSettings:
    """Where the broker, the sources and the shared store are, and how failed runs are retried.

    Environment variables (all optional except ``RIS_CONFIG``):

    * ``RIS_CONFIG``: the TOML file listing the sources (read again for every task).
    * ``RIS_DB``: the shared store, a ``postgresql://`` URL (default: the file's ``db``).
    * ``RIS_BROKER_URL``: the Celery broker (default ``redis://127.0.0.1:6379/0``).
    * ``RIS_MAX_RETRIES`` (3), ``RIS_RETRY_BACKOFF`` (60s), ``RIS_RETRY_BACKOFF_MAX`` (1h):
      a run that ends incomplete is retried after 60s, 120s, 240s ... at most this often.
    * ``RIS_LOCK_RETRY_DELAY`` (60s), ``RIS_LOCK_RETRIES`` (30): a task whose source another
      worker is syncing waits this long and tries again, at most this often.
    * ``RIS_VISIBILITY_TIMEOUT`` (6h): Redis hands a task that was not acknowledged within this
      time (its worker died) to another worker.
    * ``RIS_METRICS_PORT`` (unset: off), ``RIS_METRICS_ADDRESS`` (127.0.0.1): a worker serves the
      store's Prometheus metrics at ``http://ADDRESS:PORT/metrics``.

    The command line reads the same variables (:func:`store_url`), so ``ris-connector status``
    looks at the store the workers write.
    """

    config: str | None = None
    db: str | None = None
    broker_url: str = "redis://127.0.0.1:6379/0"
    max_retries: int = 3
    retry_backoff: float = 60.0
    retry_backoff_max: float = 3600.0
    lock_retry_delay: float = 60.0
    lock_retries: int = 30
    visibility_timeout: float = 6 * 3600.0
    metrics_port: int | None = None
    metrics_address: str = "127.0.0.1"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> FleetSettings:
        """Settings from ``RIS_*`` variables; ConfigError naming the variable if one is invalid."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name, "").strip()
            return value or None

        def number(name: str, default: float, *, duration: bool) -> float:
            raw = get(name)
            if raw is None:
                return default
            try:
                value = parse_duration(raw) if duration else float(raw)
            except ValueError as exc:
                raise ConfigError(f"{ENV_PREFIX}{name}: {exc}") from None
            if value < 0:
                raise ConfigError(f"{ENV_PREFIX}{name}: must not be negative, got {raw!r}")
            return value

        return cls(
            config=get("CONFIG"),
            db=get("DB"),
            broker_url=get("BROKER_URL") or cls.broker_url,
            max_retries=int(number("MAX_RETRIES", cls.max_retries, duration=False)),
            retry_backoff=number("RETRY_BACKOFF", cls.retry_backoff, duration=True),
            retry_backoff_max=number("RETRY_BACKOFF_MAX", cls.retry_backoff_max, duration=True),
            lock_retry_delay=number("LOCK_RETRY_DELAY", cls.lock_retry_delay, duration=True),
            lock_retries=int(number("LOCK_RETRIES", cls.lock_retries, duration=False)),
            visibility_timeout=number("VISIBILITY_TIMEOUT", cls.visibility_timeout, duration=True),
            metrics_port=_port(get("METRICS_PORT")),
            metrics_address=get("METRICS_ADDRESS") or cls.metrics_address,
        )

    def require_config(self) -> str:
        """The sources file; ConfigError if it is not set."""
        if not self.config:
            raise ConfigError(f"{ENV_PREFIX}CONFIG is not set: name the TOML file that lists the sources")
        return self.config

    def store_url(self, file_db: str | None = None) -> str | None:
        """The shared store: ``RIS_DB``, else the sources file's ``db`` (None if neither names one)."""
        return self.db or file_db

    def retry_delay(self, retries: int) -> float:
        """Seconds before retry number ``retries + 1`` of a failed run (exponential, capped)."""
        return float(min(self.retry_backoff_max, self.retry_backoff * (2**retries)))


def _port(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"{ENV_PREFIX}METRICS_PORT: not a TCP port: {raw!r}")
    return int(raw)
