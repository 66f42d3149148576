"""Quirk rows without a server flag, checked on real captured OParl payloads (tests/fixtures/oparl-real).

These payloads come from meine-stadt-transparent's test data and the Karlsruhe syndication; they
are fed to the adapter's decoder, vendor detection and normalizer directly (no server involved).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ris_connector.adapters.base import Item, Notice, Rejected
from ris_connector.adapters.oparl.jsondecode import decode_json
from ris_connector.adapters.oparl.mapper import OParlMapper
from ris_connector.adapters.oparl.vendors import detect_vendor
from ris_connector.clock import FixedClock
from ris_connector.http import HttpResponse
from ris_connector.models import Body, LegislativeTerm, Meeting, Record
from tests.support.ristest import FIXTURES

REAL = FIXTURES / "oparl-real"
MST = REAL / "meine-stadt-transparent" / "testdata"
BERLIN = ZoneInfo("Europe/Berlin")


def normalizer(scheme_for: dict[str, str] | None = None) -> OParlMapper:
    return OParlMapper(
        source="real",
        tz=BERLIN,
        clock=FixedClock(datetime(2026, 1, 1, tzinfo=timezone.utc)),
        scheme_for=scheme_for or {},
    )


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def items(obj: Any, expected: str) -> list[Item]:
    return list(normalizer().items(obj, expected=expected))


def codes(out: list[Item]) -> set[str]:
    return {i.code.split(": ")[0] for i in out if isinstance(i, Notice)}


# Rows 11 and 14: every real Body normalizes (legislativeTerm often missing), AGS become 8 digits.
# body_to_ags.json (meine-stadt-transparent's expectation) is followed where it has 8 digits; for
# Krefeld it keeps '051140000', our rule trims trailing zeros beyond 8 digits: '05114000' (the
# real AGS of Krefeld). 5-digit district keys (Kreis Euskirchen '05366') stay as they are.
def test_real_bodies_normalize_and_ags() -> None:
    expected = load(MST / "body_to_ags.json")
    checked = 0
    files = sorted((MST / "bodies").glob("*.json"))
    assert len(files) == 29
    for path in files:
        out = items(load(path), "Body")
        assert not [i for i in out if isinstance(i, Rejected)], path.name
        (body,) = [i for i in out if isinstance(i, Body)]
        want = expected[path.name]["ags"]
        if path.name == "Stadt Krefeld.json":
            assert want == "051140000" and body.ags == "05114000"
            assert "oparl-q11-ags" in codes(out)
        elif len(want) == 8 and "ags" in load(path):
            assert body.ags == want, path.name
            checked += 1
        else:  # the payload carries no 8-digit AGS; meine-stadt-transparent looked it up elsewhere
            assert body.ags is None or body.ags == want, path.name
    assert checked >= 20  # 7-digit AGS (lost leading zero) padded, 8-digit kept


# Vendor detection on real System objects: Sternberg (contactName/RIMVersion) and ALLRIS 3 (cc-egov).
def test_real_systems_vendor_detection() -> None:
    vendors = {}
    for path in sorted((MST / "systems").glob("*.json")):
        system = load(path)
        vendors[path.name] = detect_vendor(system, system["id"]).name
    assert vendors["Stadt Krefeld.json"] == "sternberg"
    assert vendors["Stadt Leipzig.json"] == "ccegov"
    assert vendors["Stadt Erkelenz.json"] == "ccegov"
    assert sum(v == "sternberg" for v in vendors.values()) == 26
    assert set(vendors.values()) == {"sternberg", "ccegov"}
    somacos = {
        "id": "https://oparl.wuppertal.de/oparl/system",
        "type": "https://schema.oparl.org/1.0/System",
        "vendor": "http://www.somacos.de",
        "product": "http://www.somacos.de/loesungen/sitzungsmanagement/session/",
    }
    assert detect_vendor(somacos, somacos["id"]).name == "somacos"


# Row 16: Braunschweig's invalid JSON with raw control characters decodes; they are counted and removed.
def test_broken_json_decodes() -> None:
    raw = (MST / "broken_json.broken_json").read_bytes()
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)
    resp = HttpResponse(
        "https://ratsinfo.braunschweig.de/bi/oparl/1.0/papers.asp?id=1664",
        200,
        {"content-type": "application/json"},
        raw,
        0.1,
    )
    data, repaired = decode_json(resp)
    assert repaired > 0
    out = items(data, "Paper")
    paper = next(i for i in out if isinstance(i, Record) and i.type == "Paper")
    assert paper.name and paper.name.startswith("Volkshochschule Braunschweig")
    assert not any(ord(c) < 32 and c not in "\t\n\r" for c in paper.name)


# Row 17: Bonn (ALLRIS 4) before the vendor fix ('+01::00', date-times in date fields) normalizes
# exactly like the fixed payload.
def test_cc_egov_double_colon_like_fixed() -> None:
    folder = REAL / "meine-stadt-transparent" / "importer" / "testdata"
    before = items(load(folder / "cc-egov-colon-before.json"), "Body")
    after = items(load(folder / "cc-egov-colon-after.json"), "Body")
    assert not [i for i in before + after if isinstance(i, Rejected)]

    def records(out: list[Item]) -> dict[str, dict[str, Any]]:
        return {r.id: r.model_dump(exclude={"provenance"}) for r in out if isinstance(r, Record)}

    assert records(before) == records(after)
    terms = [r for r in before if isinstance(r, LegislativeTerm)]
    assert terms and str(terms[0].start_date) == "1971-05-04"
    assert {"oparl-q17-double-colon", "oparl-q17-datetime-in-date"} <= codes(before)


# Row 23: Wuppertal (Somacos) gives http:// ids although the server is https; ids follow the System URL.
def test_wuppertal_http_ids_canonicalized() -> None:
    folder = MST / "oparl-missing"
    system = load(folder / "system.json")
    body = load(folder / "body.json")
    assert system["id"].startswith("http://oparl.wuppertal.de/")
    https_host = {"oparl.wuppertal.de": "https"}  # as when the System URL given is https
    out = list(normalizer(https_host).items(body, expected="Body"))
    (rec,) = [i for i in out if isinstance(i, Body)]
    assert not [i for i in out if isinstance(i, Rejected)]
    assert body["id"].startswith("http://") and rec.id == "https://" + body["id"][len("http://") :]
    meeting = list(normalizer(https_host).items(load(folder / "meeting.json"), expected="Meeting"))
    assert any(isinstance(i, Meeting) for i in meeting)


# Karlsruhe (Somacos): meetings whose end is midnight before the start keep their start; end dropped.
def test_karlsruhe_meeting_end_before_start() -> None:
    for path in sorted((REAL / "karlsruhe-oparl-syndication" / "docs" / "meetings").glob("*.json")):
        raw = load(path)
        out = items(raw, "Meeting")
        assert not [i for i in out if isinstance(i, Rejected)], path.name
        meeting = next(i for i in out if isinstance(i, Meeting))
        assert meeting.start == datetime.fromisoformat(raw["start"])
        if raw.get("end") and raw["end"] < raw["start"]:
            assert meeting.end is None
            assert "meeting-end-before-start" in codes(out)
