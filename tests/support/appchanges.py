"""Realistic changes on the sample OParl server that an app would notify about."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ris_connector.sample.server import OParlServer


@dataclass
class AppChanges:
    """Ids of the objects :func:`make_app_changes` changed (server ids)."""

    cancelled: str
    moved: str
    relocated: str
    invited: str
    protocolled: str
    paper: str
    new_start: datetime


def _upcoming(server: OParlServer, now: datetime) -> list[str]:
    ds = server.dataset
    out = []
    for mid in ds.ids("Meeting"):
        m = ds.get(mid)
        if not m.get("cancelled") and datetime.fromisoformat(m["start"]) > now:
            out.append(mid)
    return sorted(out, key=lambda i: ds.get(i)["start"])


def _past(server: OParlServer, now: datetime) -> list[str]:
    ds = server.dataset
    past = [
        m
        for m in ds.ids("Meeting")
        if not ds.get(m).get("cancelled") and datetime.fromisoformat(ds.get(m)["start"]) < now
    ]
    return sorted(past, key=lambda i: ds.get(i)["start"])


def start_app_server(oparl_server: Callable[..., OParlServer], **kwargs: Any) -> OParlServer:
    """A sample server whose clock is now, with one upcoming meeting still without invitation."""
    server = oparl_server(now=datetime.now(timezone.utc), **kwargs)
    upcoming = _upcoming(server, datetime.now(timezone.utc))
    server.dataset.get(upcoming[-1]).pop("invitation", None)
    server.dataset.get(_past(server, datetime.now(timezone.utc))[-1]).pop("resultsProtocol", None)
    return server


def make_app_changes(server: OParlServer) -> AppChanges:
    """Cancel, move, relocate and invite upcoming meetings; publish a protocol; add a paper."""
    ds = server.dataset
    now = datetime.now(timezone.utc).replace(microsecond=0)
    upcoming = _upcoming(server, now)
    assert len(upcoming) >= 4, "the sample server needs now=<real time> for upcoming meetings"
    cancelled, moved, relocated = upcoming[0], upcoming[1], upcoming[2]
    ds.update(cancelled, cancelled=True, meetingState="abgesagt", modified=now)
    new_start = datetime.fromisoformat(ds.get(moved)["start"]) + timedelta(days=7)
    new_end = new_start + timedelta(hours=2)
    ds.update(moved, start=new_start.isoformat(), end=new_end.isoformat(), modified=now)
    current = ds.get(relocated)["location"]
    other = next(lid for lid in ds.ids("Location") if lid != current)
    ds.update(relocated, location=other, modified=now)

    invited = upcoming[-1]
    assert not ds.get(invited).get("invitation"), "start the server with start_app_server()"
    name = ds.get(invited)["name"]
    file_id = ds.add(
        {
            "type": "File",
            "name": f"Einladung {name}",
            "fileName": "einladung.pdf",
            "mimeType": "application/pdf",
            "accessUrl": f"{server.base_url}/files/einladung-neu.pdf",
        },
        modified=now,
    )
    ds.update(invited, invitation=file_id, modified=now)

    protocolled = _past(server, now)[-1]
    assert not ds.get(protocolled).get("resultsProtocol"), "start the server with start_app_server()"
    proto_id = ds.add(
        {
            "type": "File",
            "name": f"Niederschrift {ds.get(protocolled)['name']}",
            "fileName": "niederschrift.pdf",
            "mimeType": "application/pdf",
            "accessUrl": f"{server.base_url}/files/niederschrift-neu.pdf",
        },
        modified=now,
    )
    ds.update(protocolled, resultsProtocol=proto_id, modified=now)

    paper = ds.add(
        {
            "type": "Paper",
            "name": "Antrag: Tempo 30 vor der Grundschule <Lindenallee> & Umgebung",
            "reference": "2026/0815",
            "paperType": "Antrag",
            "body": ds.bodies[0],
        },
        modified=now,
    )
    return AppChanges(cancelled, moved, relocated, invited, protocolled, paper, new_start)
