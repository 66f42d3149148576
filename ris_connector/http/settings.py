"""Settings of the HTTP client (timeouts, retries, limits, allowed hosts, credentials)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


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

    def effective_user_agent(self) -> str:
        """The User-Agent to send: the configured one, else one naming the library."""
        if self.user_agent:
            return self.user_agent
        from ris_connector import __version__

        return f"ris-connector/{__version__} (+https://pypi.org/project/ris-connector/)"
