"""The recorded sources of ``tests/fixtures/real`` as servable fixtures, and their raw counts.

Raw counts come from ``tests/fixtures/real/count_raw.py`` (standard library only), never from
ris-connector. The System and Body objects of the OParl sources were not recorded; they are the
smallest wrappers that point at the recorded lists (marked ``synthetic`` in PROVENANCE.md).
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.real.replay import REAL, OParlFixture


def count_raw() -> ModuleType:
    """The independent counter, loaded from its file."""
    spec = importlib.util.spec_from_file_location("count_raw", REAL / "count_raw.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load(path: Path) -> Any:
    return json.loads(path.read_bytes().decode("utf-8"))


# --- iCalendar: raw events by UID, with the volatile parts cut out for the "real change" truth ---

_STAMP = re.compile(r"Exportiert am \d{2}\.\d{2}\.\d{4}")


def ics_events(path: Path) -> dict[str, str]:
    """UID -> the event's raw lines (one string), in file order."""
    events: dict[str, str] = {}
    block: list[str] = []
    for line in path.read_bytes().decode("utf-8").splitlines():
        if line == "BEGIN:VEVENT":
            block = []
        elif line == "END:VEVENT":
            uid = next(item.split(":", 1)[1] for item in block if item.startswith("UID"))
            events[uid] = "\n".join(block)
        else:
            block.append(line)
    return events


def without_volatile(event: str) -> str:
    """An ALLRIS event without what changes on every export: DTSTAMP and 'Exportiert am <date>'."""
    lines = [line for line in event.split("\n") if not line.startswith("DTSTAMP")]
    return _STAMP.sub("Exportiert am", "\n".join(lines))


def _start(event: str) -> str:
    """The event's DTSTART as written (``20251007T170000``: one TZID in these feeds, so the text sorts)."""
    return next(line.rsplit(":", 1)[1] for line in event.split("\n") if line.startswith("DTSTART"))


def version_truth(old: Path | None, new: Path) -> dict[str, int]:
    """What really happened between two recorded versions of a feed, from the raw files alone.

    An event gone from the new version that starts before the new version's earliest event left
    the feed's window (``left_window``: the meeting was held, weeks ago); one gone from inside
    the window was removed (``deleted``).
    """
    before = ics_events(old) if old else {}
    after = ics_events(new)
    common = before.keys() & after.keys()
    earliest = min((_start(e) for e in after.values()), default="")
    gone = [_start(before[u]) for u in before.keys() - after.keys()]
    return {
        "created": len(after.keys() - before.keys()),
        "deleted": sum(start >= earliest for start in gone),
        "left_window": sum(start < earliest for start in gone),
        "updated": sum(without_volatile(before[u]) != without_volatile(after[u]) for u in common),
        "volatile_only": sum(
            before[u] != after[u] and without_volatile(before[u]) == without_volatile(after[u]) for u in common
        ),
    }


# --- OParl: Bonn (ALLRIS 4) and Karlsruhe (Somacos) ---

BONN = "https://www.bonn.sitzung-online.de"
KARLSRUHE = "https://web1.karlsruhe.de"


def _system(base: str, vendor: str) -> dict[str, Any]:
    """A System object that was not recorded: the smallest one naming the vendor and the Body list."""
    return {
        "id": base + "system",
        "type": "https://schema.oparl.org/1.1/System",
        "oparlVersion": "https://schema.oparl.org/1.1/",
        "body": base + "bodies",
        "vendor": vendor,
    }


def bonn() -> OParlFixture:
    """Two recorded meeting list pages of Bonn behind a synthetic System and Body.

    The recording stops at page 2 of 67, so at serve time page 2 carries no ``next`` and both
    pages name page 2 as ``last`` (the list the server is said to have is the recorded one).
    """
    base = BONN + "/public/oparl/"
    system = _system(base, "http://www.cc-egov.de")
    body = {
        "id": base + "bodies?id=1",
        "type": "https://schema.oparl.org/1.1/Body",
        "system": base + "system",
        "name": "Bundesstadt Bonn",
        "organization": base + "organizations?body=1",
        "person": base + "persons?body=1",
        "meeting": base + "meetings?body=1",
        "paper": base + "papers?body=1",
        "legislativeTerm": [],
    }
    pages = [_load(REAL / "bonn-allris-oparl" / f"page_{n}.json") for n in (1, 2)]
    last = base + "meetings?body=1&page=2"
    pages[0]["links"]["last"] = last
    pages[1]["links"]["last"] = last
    del pages[1]["links"]["next"]
    first = json.dumps(pages[0], ensure_ascii=False).encode("utf-8")
    lists: dict[str, list[dict[str, Any]] | bytes] = {
        base + "meetings?body=1": first,
        base + "meetings?body=1&page=1": first,
        last: json.dumps(pages[1], ensure_ascii=False).encode("utf-8"),
    }
    return OParlFixture(BONN, base + "system", system, base + "bodies", body, lists)


def bonn_referenced_organizations() -> set[str]:
    found: set[str] = set()
    for n in (1, 2):
        for meeting in _load(REAL / "bonn-allris-oparl" / f"page_{n}.json")["data"]:
            found.update(meeting.get("organization", []))
    return found


KARLSRUHE_DOCS = REAL / "karlsruhe-somacos-oparl" / "docs"


def karlsruhe(meeting_overrides: dict[str, Path] | None = None) -> OParlFixture:
    """Karlsruhe's recorded objects as one page per list behind a synthetic System and Body.

    ``meeting_overrides`` replaces a meeting file by another recorded version of it.
    """
    base = KARLSRUHE + "/oparl/"
    body_id = base + "bodies/0001"
    system = _system(base, "http://www.somacos.de")
    body = {
        "id": body_id,
        "type": "https://schema.oparl.org/1.1/Body",
        "system": base + "system",
        "name": "Stadt Karlsruhe",
        "organization": body_id + "/organizations",
        "person": body_id + "/people",
        "meeting": body_id + "/meetings",
        "paper": body_id + "/papers",
        "consultation": body_id + "/consultations",
        "legislativeTerm": [],
    }
    overrides = meeting_overrides or {}
    meetings = [_load(overrides.get(p.name, p)) for p in sorted((KARLSRUHE_DOCS / "meetings").glob("*.json"))]
    lists: dict[str, list[dict[str, Any]] | bytes] = {
        body_id + "/organizations": _load(KARLSRUHE_DOCS / "organizations.json"),
        body_id + "/meetings": meetings,
        body_id + "/papers": [_load(p) for p in sorted((KARLSRUHE_DOCS / "papers").glob("*.json"))],
        body_id + "/consultations": _load(KARLSRUHE_DOCS / "consultations.json"),
    }
    return OParlFixture(KARLSRUHE, base + "system", system, base + "bodies", body, lists)


def karlsruhe_meetings_ending_before_start() -> int:
    from datetime import datetime

    count = 0
    for path in (KARLSRUHE_DOCS / "meetings").glob("*.json"):
        meeting = _load(path)
        start, end = meeting.get("start"), meeting.get("end")
        if start and end and datetime.fromisoformat(end) < datetime.fromisoformat(start):
            count += 1
    return count


WUPPERTAL = "http://oparl.wuppertal.de"
WUPPERTAL_DIR = REAL / "wuppertal-somacos-oparl"


def wuppertal() -> OParlFixture:
    """Wuppertal's recorded System, Body and one Meeting; the meeting list is a one-item page."""
    system = _load(WUPPERTAL_DIR / "system.json")
    body = _load(WUPPERTAL_DIR / "body.json")
    meeting = _load(WUPPERTAL_DIR / "meeting.json")
    return OParlFixture(WUPPERTAL, system["id"], system, system["body"], body, {body["meeting"]: [meeting]})


def wuppertal_unresolved_references() -> set[str]:
    """Organizations and persons the meeting names: not in any recorded list."""
    meeting = _load(WUPPERTAL_DIR / "meeting.json")
    return set(meeting.get("organization", [])) | set(meeting.get("participant", []))
