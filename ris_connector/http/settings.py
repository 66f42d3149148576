"""Settings of the HTTP client (timeouts, retries, limits, allowed hosts, credentials)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class HttpSettings(BaseModel):
    """How one source is fetched. Defaults suit slow public RIS servers (quirk row 40)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_agent: str | None = None
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=120.0, gt=0)
    deadline: float = Field(default=300.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    backoff_initial: float = Field(default=1.0, ge=0)
    backoff_max: float = Field(default=60.0, ge=0)
    max_retry_after: float = Field(default=300.0, ge=0)
    rate_limit: float | None = Field(default=None, ge=0)
    max_connections: int = Field(default=4, ge=1)
    max_bytes: int = Field(default=100 * 1024 * 1024, ge=0)
    max_redirects: int = Field(default=10, ge=0)
    allowed_hosts: tuple[str, ...] = ()
    block_private_addresses: bool | None = None
    verify: bool | str = True
    username: str | None = None
    password: SecretStr | None = None
    password_env: str | None = Field(default=None, description="Read the password from this environment variable.")
    password_file: str | None = Field(default=None, description="Read the password from this file (first line).")
    token: SecretStr | None = Field(default=None, description="Bearer token sent to the source's own host only.")
    token_env: str | None = None
    token_file: str | None = None

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
        from ris_connector import __version__

        return f"ris-connector/{__version__} (+https://pypi.org/project/ris-connector/)"
