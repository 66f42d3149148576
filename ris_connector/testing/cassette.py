"""Recorded HTTP exchanges for the adapter test kit, kept with vcrpy (imported lazily).

Replay uses ``record_mode="none"``: a request that is not in the cassette raises vcrpy's
``CannotOverwriteExistingCassetteException`` and fails the test. Recording (``pytest
--ris-record``) rewrites the cassette from the adapter's live (local) server.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ris_connector.errors import ConfigError
from ris_connector.testing.faultproxy import mask_secrets, request_key

#: The body too: SOAP calls are POSTs to one address that differ only in their envelope.
MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "body")


def _vcr(record_mode: str, passthrough: Callable[[], str | None], secrets: tuple[str, ...]) -> Any:
    try:
        import vcr
    except ImportError as exc:  # pragma: no cover - the kit's extra installs it
        raise ConfigError("the adapter test kit needs vcrpy: pip install 'ris-connector[kit]'") from exc

    def keep(request: Any) -> Any:
        """Requests to the kit's own fault proxy go to the network (127.0.0.1), not the cassette."""
        netloc = passthrough()
        return None if netloc and urlsplit(request.uri).netloc == netloc else request

    return vcr.VCR(
        record_mode=record_mode,
        match_on=MATCH_ON,
        decode_compressed_response=True,
        before_record_request=keep,
        filter_query_parameters=[(name, "SECRET") for name in secrets],
    )


def use_cassette(
    path: Path,
    *,
    record: bool,
    passthrough: Callable[[], str | None] = lambda: None,
    secrets: tuple[str, ...] = (),
) -> AbstractContextManager[Any]:
    """Replay ``path`` (unrecorded requests fail), or record it afresh when ``record``.

    Values of the query parameters named in ``secrets`` are stored as ``SECRET``.
    """
    if record:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
    elif not path.is_file():
        raise ConfigError(f"no recorded cassette at {path}; record it with: python -m pytest --ris-record")
    cm: AbstractContextManager[Any] = _vcr("all" if record else "none", passthrough, secrets).use_cassette(
        str(path), allow_playback_repeats=True
    )
    return cm


def recorded_base(path: Path) -> str:
    """``scheme://host:port`` of the first recorded request: the base URL the cassette replays."""
    from vcr.persisters.filesystem import FilesystemPersister
    from vcr.serializers import yamlserializer

    try:
        requests, _ = FilesystemPersister.load_cassette(str(path), yamlserializer)
    except Exception as exc:  # vcrpy's own error classes, OSError, YAML errors
        raise ConfigError(f"cannot read cassette {path}: {exc}") from exc
    if not requests:
        raise ConfigError(f"cassette {path} holds no requests; record it with: python -m pytest --ris-record")
    parts = urlsplit(requests[0].uri)
    return f"{parts.scheme}://{parts.netloc}"


def recorded_responses(path: Path) -> dict[str, tuple[int, dict[str, str], bytes]]:
    """Request key (path with query; for POST also a body digest) -> (status, headers, body), for the fault proxy."""
    from vcr.persisters.filesystem import FilesystemPersister
    from vcr.serializers import yamlserializer

    requests, responses = FilesystemPersister.load_cassette(str(path), yamlserializer)
    out: dict[str, tuple[int, dict[str, str], bytes]] = {}
    for request, response in zip(requests, responses, strict=True):
        parts = urlsplit(request.uri)
        target = mask_secrets(parts.path + (f"?{parts.query}" if parts.query else ""), ())
        sent = request.body.encode() if isinstance(request.body, str) else request.body
        key = request_key(request.method, target, sent)
        headers = {k: ", ".join(v) if isinstance(v, list) else str(v) for k, v in response["headers"].items()}
        body = response["body"]["string"]
        out.setdefault(
            key, (int(response["status"]["code"]), headers, body.encode() if isinstance(body, str) else body)
        )
    return out
