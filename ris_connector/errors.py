"""The one exception hierarchy of ris-connector.

Three families tell a caller what to do:

* :class:`ConfigError` - the user's configuration or command line is wrong (exit status 2).
* :class:`SourceError` - the upstream source could not be read completely (exit status 3).
  :class:`TransientError` subclasses are worth retrying later; the others are not.
* :class:`DataError` - one upstream record cannot be normalized; the record is quarantined
  and the run goes on.

Messages never contain secrets: credentials are stripped from URLs before they are formatted.
Messages are escaped and clipped when shown (see :mod:`ris_connector.logsafe`).
"""

from __future__ import annotations

from ris_connector.logsafe import LOGGED_PARAMS as LOGGED_PARAMS  # re-exported: callers import them from here
from ris_connector.logsafe import MAX_MESSAGE, clip, for_log
from ris_connector.logsafe import redact_url as redact_url

#: Longest URL shown in an error (a source's links can be arbitrarily long).
MAX_URL = 500


def safe_message(text: str) -> str:
    """An exception message as it may be shown: escaped and clipped to ``MAX_MESSAGE``."""
    return clip(for_log(text), MAX_MESSAGE)


class RisError(Exception):
    """Base class of every error raised by ris-connector.

    Its text is escaped and clipped (:func:`safe_message`): messages carry text from sources
    (server messages, fault strings, ids), which must not forge log lines or fill reports.
    """

    def __str__(self) -> str:
        return safe_message(super().__str__())


class ConfigError(RisError):
    """The configuration, the command line or an adapter's options are invalid."""


class StoreError(RisError):
    """The local store cannot be opened, migrated or written."""


class StoreMissing(ConfigError):
    """A command that only reads was pointed at a store that does not exist (it creates none)."""


class LockedError(StoreError):
    """Another process is syncing the same source into the same store."""


class SourceError(RisError):
    """The source could not be read. ``url`` names the request that failed, if any."""

    def __init__(self, message: str, *, url: str | None = None, source: str | None = None) -> None:
        self.url = clip(redact_url(url), MAX_URL) if url else None
        self.source = source
        super().__init__(message)

    def __str__(self) -> str:
        text = super().__str__()
        prefix = f"[{self.source}] " if self.source else ""
        suffix = f" ({self.url})" if self.url and self.url not in text else ""
        return f"{prefix}{text}{suffix}"


class TransientError(SourceError):
    """A fault that may go away on its own: connection trouble, timeouts, 5xx, 429."""


class ConnectionFailed(TransientError):
    """The connection could not be made or broke off."""


class RequestTimeout(TransientError):
    """Connect, read or total deadline exceeded."""


class DeadlineExceeded(RequestTimeout):
    """A request's total ``deadline`` (attempts, retry waits and body reads together) ran out.

    Not retried within the request: the time is gone. A later run may succeed.
    """


class ServerError(TransientError):
    """HTTP 5xx."""

    def __init__(self, message: str, *, status: int, url: str | None = None) -> None:
        self.status = status
        super().__init__(message, url=url)


class RateLimited(TransientError):
    """HTTP 429 (or 503 with Retry-After). ``retry_after`` is in seconds, if the server said."""

    def __init__(self, message: str, *, retry_after: float | None, url: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message, url=url)


class HttpStatusError(SourceError):
    """A 4xx answer that retrying will not fix."""

    def __init__(self, message: str, *, status: int, url: str | None = None, body: bytes = b"") -> None:
        self.status = status
        self.body = body[:2048]
        super().__init__(message, url=url)


class NotFound(HttpStatusError):
    """HTTP 404, 410 (or 401/403 for an object that was made non-public)."""


class ResponseTooLarge(SourceError):
    """The body exceeded the configured size limit."""


class InvalidPayload(SourceError):
    """The body is not what was asked for: broken JSON, an HTML page, an OParl Error object."""


class UnsafeXml(InvalidPayload):
    """XML that tries to use a DTD, entities or other constructs that are refused from outside."""


class ForbiddenUrl(SourceError):
    """A link points to a host, scheme or address the source is not allowed to reach."""


class PaginationLoop(SourceError):
    """A list's pagination does not end (a page seen before, or endless pages)."""


class LimitExceeded(SourceError):
    """A run reached one of its bounds (``max_run_time``, ``max_pages_per_list``,
    ``max_records_per_list``, an adapter's bound such as OParl ``max_page_bytes`` or iCalendar
    ``max_records``): what was read is kept, the run is incomplete and deletes nothing. Not
    transient: the same source meets the same bound again."""


class DataError(RisError):
    """One record cannot be normalized. It is quarantined with this message as the reason."""

    def __init__(self, message: str, *, record_id: str | None = None, type_name: str | None = None) -> None:
        self.record_id = record_id
        self.type_name = type_name
        super().__init__(message)

    def __str__(self) -> str:
        text = super().__str__()
        what = " ".join(x for x in (self.type_name, self.record_id) if x)
        return f"{clip(for_log(what), MAX_URL)}: {text}" if what else text


class TooManyRedirects(SourceError):
    """A redirect chain was too long or went round in a loop."""


class DeliveryError(RisError):
    """An output target (webhook, app backend) could not be reached or refused the data.

    ``status`` is the last HTTP status, if any; ``retryable`` says whether trying later may help.
    """

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None, retryable: bool) -> None:
        self.url = clip(redact_url(url), MAX_URL) if url else None
        self.status = status
        self.retryable = retryable
        super().__init__(message)

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} ({self.url})" if self.url and self.url not in text else text
