"""Settings of the HTTP client (timeouts, retries, limits, allowed hosts, credentials).

Every number has a range: a value outside it is a configuration error (exit status 2), not a
traceback or a hang later (``connect_timeout = 1e300`` overflows the socket layer, a negative
limit means nothing).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from ris_connector.version import __version__

_DAY = 86400.0
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def parse_host_entry(entry: str) -> tuple[str, int | None]:
    """``("files.stadt.de", None)`` from ``files.stadt.de``, ``("::1", 8080)`` from ``[::1]:8080``.

    Host names are lower-cased, without IPv6 brackets or a trailing dot; ``*.example.org``
    stays a wildcard. ValueError for an empty entry or an invalid port.
    """
    text = entry.strip().lower()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else None
        if rest and port_text is None:
            raise ValueError(f"{entry!r}: expected [IPv6] or [IPv6]:port")
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, None
    host = host.rstrip(".")
    if not host or _CONTROL.search(host) or "/" in host or "@" in host:
        raise ValueError(f"{entry!r}: expected a host name, host:port or [IPv6]:port")
    if port_text is None:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{entry!r}: the port must be a number from 1 to 65535")
    return host, int(port_text)


class HttpSettings(BaseModel):
    """How one source is fetched. Defaults suit slow public RIS servers (quirk row 40)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    user_agent: str | None = None
    connect_timeout: float = Field(default=10.0, gt=0, le=3600)
    read_timeout: float = Field(default=120.0, gt=0, le=_DAY)
    deadline: float = Field(
        default=300.0,
        gt=0,
        le=7 * _DAY,
        description="Seconds one request may take in total: every attempt, redirect, retry wait and body read.",
    )
    max_attempts: int = Field(default=5, ge=1, le=100)
    backoff_initial: float = Field(default=1.0, ge=0, le=3600)
    backoff_max: float = Field(default=60.0, ge=0, le=_DAY)
    max_retry_after: float = Field(
        default=120.0,
        ge=0,
        le=_DAY,
        description="Longest Retry-After (seconds) that is waited out; a longer one fails the request at once.",
    )
    rate_limit: float | None = Field(default=None, ge=0, le=1e6)
    max_connections: int = Field(default=4, ge=1, le=256)
    max_bytes: int = Field(default=100 * 1024 * 1024, ge=0, le=2**40)
    max_redirects: int = Field(default=10, ge=0, le=100)
    allowed_hosts: tuple[str, ...] = Field(
        default=(),
        description="Other hosts the source may fetch: name (any port), host:port, [IPv6]:port, *.domain.",
    )
    block_private_addresses: bool | None = None
    verify: bool | str = True
    username: str | None = None
    password: SecretStr | None = None
    password_env: str | None = Field(default=None, description="Read the password from this environment variable.")
    password_file: str | None = Field(default=None, description="Read the password from this file (first line).")
    token: SecretStr | None = Field(default=None, description="Bearer token sent to the source's own host only.")
    token_env: str | None = None
    token_file: str | None = None

    @field_validator("allowed_hosts")
    @classmethod
    def _check_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            parse_host_entry(entry)
        return value

    @field_validator("user_agent", "username")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and _CONTROL.search(value):
            raise ValueError("must not contain control characters (line breaks, tabs)")
        return value

    @model_validator(mode="before")
    @classmethod
    def _read_secrets(cls, data: Any) -> Any:
        """Fill ``password``/``token`` from ``*_env`` or ``*_file``, so config files hold no secrets."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for name in ("password", "token"):
            env, file = out.get(f"{name}_env"), out.get(f"{name}_file")
            if env is not None and file is not None:
                raise ValueError(f"give {name}_env or {name}_file, not both")
            if (env is not None or file is not None) and out.get(name) is not None:
                raise ValueError(f"give {name} or {name}_env/{name}_file, not both")
            if env is not None:
                value = os.environ.get(str(env))
                if not value:
                    raise ValueError(f"{name}_env: environment variable {env!r} is not set")
                out[name] = value
            elif file is not None:
                try:
                    lines = Path(str(file)).expanduser().read_text(encoding="utf-8").splitlines()
                except (OSError, UnicodeDecodeError) as exc:
                    raise ValueError(f"{name}_file: cannot read {file}: {type(exc).__name__}") from None
                if not lines or not lines[0].strip():
                    raise ValueError(f"{name}_file: {file} is empty")
                out[name] = lines[0].strip()
        return out

    def effective_user_agent(self) -> str:
        """The User-Agent to send: the configured one, else one naming the library."""
        if self.user_agent:
            return self.user_agent
        return f"ris-connector/{__version__} (+https://pypi.org/project/ris-connector/)"
