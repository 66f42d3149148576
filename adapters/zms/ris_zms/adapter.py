"""Reads appointments from ZMS (eappointment, Berlin/Munich) through its citizen API.

``GET <url>/appointment/?processId=<id>&authKey=<key>`` answers a ThinnedProcess: one request
per configured process, read by the SDK's JSON source (404: deleted; 400/401/403: that process
is quarantined; an answer about another process is refused). An appointment is personal data:
the record keeps no name, e-mail or telephone, is ``personal`` (the OParl output never
publishes it), and quarantine entries and logs name only its id. authKeys are secrets: read
from the environment or a secrets file, never from the configuration.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import Field

from ris_connector import AdapterContext, AdapterOptions
from ris_connector.adapters.sdk import Get, Item, JsonAdapter, JsonObject, Tombstone
from ris_connector.errors import ConfigError

#: ZMS process status -> normalized appointment status; GONE: the appointment no longer exists.
STATUS = {"reserved": "scheduled", "preconfirmed": "scheduled", "missed": "cancelled", "blocked": "cancelled"}
STATUS |= dict.fromkeys(("confirmed", "queued", "called", "processing", "pending", "pickup", "finished"), "confirmed")
GONE = {"deleted", "anonymized", "archived"}


class ZmsOptions(AdapterOptions):
    """Which appointments to read; the citizen API base URL is the source's ``url``."""

    process_ids: list[int] = Field(min_length=1)
    auth_keys_file: str | None = None
    """A JSON file ``{"<processId>": "<authKey>"}`` (keep it readable by the sync user only)."""
    auth_key_env: str = "ZMS_AUTH_KEY_{process_id}"
    """Environment variable holding a process's authKey; it wins over the file."""


class ZmsAdapter(JsonAdapter[ZmsOptions]):
    """ZMS/eappointment appointments (citizen API, personal data, never published)."""

    name = "zms"
    type = "Appointment"
    records = None  # each answer is one process
    id_field = "processId"
    personal = True

    def __init__(self, ctx: AdapterContext, options: ZmsOptions) -> None:
        super().__init__(ctx, options)
        self.url()  # ConfigError now if the source has no url
        self.keys = self._read_keys()

    def _read_keys(self) -> dict[int, str]:
        from_file: dict[str, Any] = {}
        if self.options.auth_keys_file:
            path = Path(self.options.auth_keys_file)
            try:
                from_file = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ConfigError(f"zms: cannot read auth_keys_file {path}: {type(exc).__name__}") from None
        keys: dict[int, str] = {}
        for pid in self.options.process_ids:
            key = os.environ.get(self.options.auth_key_env.format(process_id=pid)) or from_file.get(str(pid))
            if not isinstance(key, str) or not key:
                raise ConfigError(f"zms: no authKey for process {pid} (environment or auth_keys_file)")
            keys[pid] = key
        return keys

    def requests(self, since: datetime | None) -> Iterator[Get]:
        for pid in self.options.process_ids:
            yield Get(self.url("appointment/"), {"processId": str(pid), "authKey": self.keys[pid]}, item=pid)

    def map(self, item: JsonObject) -> list[Item] | Tombstone:
        status = str(item.get("status") or "")
        if status in GONE:
            return self.tombstone(item)
        return self.record(
            id=self.id_of(item),
            name=item.get("serviceName"),
            service=item.get("serviceName"),
            organizer=item.get("officeName"),
            location_text=item.get("officeName"),
            start=datetime.fromtimestamp(int(str(item["timestamp"])), timezone.utc),
            status=STATUS.get(status, "unknown"),
            personal=True,
        )
