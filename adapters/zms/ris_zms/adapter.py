"""Reads appointments from ZMS (eappointment, Berlin/Munich) through its citizen API.

``GET <url>/appointment/?processId=<id>&authKey=<key>`` answers a ThinnedProcess. An
appointment is personal data: the record keeps no name, e-mail or telephone, is marked
``personal`` (the OParl output never publishes it), and logs and errors name only its id.
authKeys are secrets: read from the environment or a secrets file, never from the config.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import Field

from ris_connector import Adapter, AdapterContext, AdapterOptions, Checkpoint, Item, Rejected, Tombstone, models
from ris_connector.errors import ConfigError, HttpStatusError, InvalidPayload
from ris_connector.normalize import urn

log = logging.getLogger(__name__)

#: ZMS process status -> normalized appointment status.
STATUS = {
    "reserved": "scheduled",
    "preconfirmed": "scheduled",
    "confirmed": "confirmed",
    "queued": "confirmed",
    "called": "confirmed",
    "processing": "confirmed",
    "pending": "confirmed",
    "pickup": "confirmed",
    "finished": "confirmed",
    "missed": "cancelled",
    "blocked": "cancelled",
}
GONE = {"deleted", "anonymized", "archived"}


class ZmsOptions(AdapterOptions):
    """Which appointments to read; the citizen API base URL is the source's ``url``."""

    process_ids: list[int] = Field(min_length=1)
    auth_keys_file: str | None = None
    """A JSON file ``{"<processId>": "<authKey>"}`` (keep it readable by the sync user only)."""
    auth_key_env: str = "ZMS_AUTH_KEY_{process_id}"
    """Environment variable holding a process's authKey; it wins over the file."""


class ZmsAdapter(Adapter):
    """ZMS citizen API: one request per configured process, mapped to an Appointment."""

    name = "zms"
    Options = ZmsOptions
    description = "ZMS/eappointment appointments (citizen API, personal data, never published)"

    def __init__(self, ctx: AdapterContext, options: AdapterOptions) -> None:
        super().__init__(ctx, options)
        assert isinstance(options, ZmsOptions)
        self.opts = options
        if not ctx.source.url:
            raise ConfigError(f"source {ctx.source.name!r}: the zms adapter needs the citizen API URL as url")
        self._keys = self._read_keys()

    def _read_keys(self) -> dict[int, str]:
        from_file: dict[str, Any] = {}
        if self.opts.auth_keys_file:
            path = Path(self.opts.auth_keys_file)
            try:
                from_file = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ConfigError(f"zms: cannot read auth_keys_file {path}: {type(exc).__name__}") from None
        keys: dict[int, str] = {}
        for pid in self.opts.process_ids:
            key = os.environ.get(self.opts.auth_key_env.format(process_id=pid)) or from_file.get(str(pid))
            if not isinstance(key, str) or not key:
                raise ConfigError(f"zms: no authKey for process {pid} (environment or auth_keys_file)")
            keys[pid] = key
        return keys

    def fetch(self) -> Iterator[Item]:
        started = self.ctx.clock.now()
        base = str(self.ctx.source.url).rstrip("/")
        for pid in self.opts.process_ids:
            yield from self._one(base, pid)
        yield Checkpoint("appointments", {"read_at": started.isoformat()})

    def _one(self, base: str, pid: int) -> Iterator[Item]:
        rid = urn(self.ctx.source.name, "Appointment", pid)
        params = {"processId": str(pid), "authKey": self._keys[pid]}
        try:
            resp = self.ctx.http.get(f"{base}/appointment/", params=params, accept_status=(404,))
        except HttpStatusError as exc:  # 400/401/403: a wrong or expired authKey is this process's problem
            yield Rejected(f"process {pid}: HTTP {exc.status}", {"processId": pid}, type="Appointment", ref=rid)
            return
        if resp.status == 404:
            log.info("zms: %s no longer exists", rid)
            yield Tombstone(rid, "Appointment")
            return
        try:
            data = json.loads(resp.content)
        except ValueError:
            raise InvalidPayload(f"process {pid}: the answer is not JSON", url=resp.url) from None
        if not isinstance(data, dict):
            raise InvalidPayload(f"process {pid}: the answer is not a process object", url=resp.url)
        yield from self._map(rid, pid, data)

    def _map(self, rid: str, pid: int, data: dict[str, Any]) -> Iterator[Item]:
        if data.get("processId") != pid:
            yield Rejected(f"process {pid}: answer is for another process", {"processId": pid}, type="Appointment")
            return
        status = str(data.get("status") or "")
        if status in GONE:
            yield Tombstone(rid, "Appointment")
            return
        try:
            start = datetime.fromtimestamp(int(str(data["timestamp"])), timezone.utc)
            yield models.Appointment(
                id=rid,
                name=data.get("serviceName"),
                service=data.get("serviceName"),
                organizer=data.get("officeName"),
                location_text=data.get("officeName"),
                start=start,
                status=STATUS.get(status, "unknown"),
                personal=True,
            )
        except (KeyError, TypeError, ValueError) as exc:  # the reason names fields, never their values
            reason = f"process {pid}: unusable timestamp or fields ({type(exc).__name__})"
            yield Rejected(reason, {"processId": pid}, type="Appointment", ref=rid)
