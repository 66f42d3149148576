"""Events from a JSON list API: GET <url>[?modified_since=...] -> {"items": [...], "next": url|null}."""

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from ris_connector import Adapter, AdapterOptions, Checkpoint, Item, Rejected, Tombstone, models
from ris_connector.errors import InvalidPayload
from ris_connector.normalize import parse_datetime, urn


class EventsAdapter(Adapter):
    name = "events"
    Options = AdapterOptions  # no options; the list URL is the source's url
    description = "Events from a JSON list API"

    def fetch(self) -> Iterator[Item]:
        ctx = self.ctx
        started, state = ctx.clock.now(), ctx.state.stream_state("events") or {}
        params = None
        if not ctx.full and "watermark" in state:
            since = datetime.fromisoformat(state["watermark"]) - timedelta(seconds=ctx.overlap)
            params = {"modified_since": since.isoformat()}
        url = ctx.source.url
        while url:
            resp = ctx.http.get(url, params=params)  # retries, limits, errors: the core's
            try:
                page = json.loads(resp.content)
                items, url, params = list(page["items"]), page.get("next"), None
            except (ValueError, KeyError, TypeError) as exc:
                raise InvalidPayload(f"not an events page: {exc}", url=resp.url) from None
            for raw in items:
                yield from self.record(raw)
        yield Checkpoint("events", {"watermark": started.isoformat()})

    def record(self, raw: Any) -> Iterator[Item]:
        try:
            rid, tz = urn(self.ctx.source.name, "Appointment", raw["id"]), self.ctx.source.timezone
            if raw.get("deleted"):
                yield Tombstone(rid, "Appointment")
            else:
                yield models.Appointment(
                    id=rid,
                    name=raw["title"],
                    start=parse_datetime(raw["start"], tz),
                    end=parse_datetime(raw.get("end"), tz),
                    location_text=raw.get("place"),
                    status="scheduled",
                    personal=False,
                )
        except (KeyError, TypeError, ValueError) as exc:
            yield Rejected(f"event {raw.get('id') if isinstance(raw, dict) else '?'}: {exc}", raw, type="Appointment")
