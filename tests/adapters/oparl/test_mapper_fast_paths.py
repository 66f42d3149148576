"""The fast paths of issue 7 give the same results as the slow ones they short-cut.

canonical_url's fast path must return exactly what the full parse would; the normalizer must
normalize identical copies of an embedded object once per run, and a differing copy again.
"""

from __future__ import annotations

import itertools
import random
import re
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from ris_connector.adapters.oparl.mapper import OParlMapper
from ris_connector.clock import FixedClock
from ris_connector.items import Notice
from ris_connector.models import AgendaItem, Location, Meeting, Paper, Provenance, Record
from ris_connector.normalize.ids import _DEFAULT_PORTS, canonical_url, is_url, repair_url, url_id
from ris_connector.sync.engine import approx_bytes, record_bytes

BASE = "https://ris.example.org/oparl"


def _full_parse(url: str, scheme_for: dict[str, str] | None) -> str:
    """canonical_url without its fast path (the reference the fast path must agree with)."""
    parts = urlsplit(repair_url(url))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    if scheme_for and host in scheme_for and scheme_for[host] != scheme:
        if port == _DEFAULT_PORTS.get(scheme):
            port = None
        scheme = scheme_for[host]
    netloc = f"{host}:{port}" if port and port != _DEFAULT_PORTS.get(scheme) else host
    path = parts.path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except ValueError as exc:
        return type(exc)


def test_canonical_url_fast_path_agrees_with_full_parse() -> None:
    pieces = ["http://", "https://", "HTTP://", "h.example", "H.example", "127.0.0.1", ":80", ":443", ":8080",
              ":99999", "/", "//", "/a", "/a/", "?", "?x=1&y=%20", "#f", "/b c", "/ä", "@", ".", "-", "x-"]  # fmt: skip
    maps = (None, {"h.example": "https"}, {"127.0.0.1": "http"})
    rng = random.Random(7)
    urls = ["".join(c) for n in range(1, 4) for c in itertools.product(pieces, repeat=n)]
    urls += ["".join(rng.choices(pieces, k=rng.randint(4, 7))) for _ in range(10_000)]
    checked = 0
    for url in urls:
        for scheme_for in maps:
            expected = _outcome(_full_parse, url, scheme_for)
            got = _outcome(lambda u, s: canonical_url(u, scheme_for=s), url, scheme_for)
            assert got == expected, (url, scheme_for)
            checked += 1
    assert checked > 50_000


def _is_url_full(value: object) -> bool:
    """is_url without its fast path."""
    if not isinstance(value, str) or not value.strip().lower().startswith(("http://", "https://")):
        return False
    try:
        parts = urlsplit(value.strip())
        _ = parts.port
    except ValueError:
        return False
    return bool(parts.hostname)


def test_is_url_and_url_id_fast_paths_agree_with_full_parse() -> None:
    pieces = ["http://", "https://", "HTTP://", "h.example", "H.example", "127.0.0.1", ":80", ":443", ":8080",
              ":99999", ":65536", "/", "//", "/a", "/a/", "?", "?x=1", "#f", "/b c", " ", "@", ".", "[",
              "ftp://", "-", "a-"]  # fmt: skip
    rng = random.Random(11)
    urls: list[object] = ["".join(c) for n in range(1, 4) for c in itertools.product(pieces, repeat=n)]
    urls += ["".join(rng.choices(pieces, k=rng.randint(3, 7))) for _ in range(10_000)]
    urls += [None, 7, b"http://h.example/a", ["http://h.example/a"]]
    valid = 0
    for value in urls:
        expected = _is_url_full(value)
        assert is_url(value) == expected, value
        for scheme_for in (None, {"h.example": "https"}):
            want = _outcome(_full_parse, value, scheme_for) if expected else None
            assert url_id(value, scheme_for=scheme_for) == want, (value, scheme_for)
        valid += expected
    assert valid > 1_000


def _normalizer() -> OParlMapper:
    clock = FixedClock(datetime(2024, 5, 1, 12, tzinfo=timezone.utc))
    return OParlMapper(source="s", tz=ZoneInfo("Europe/Berlin"), clock=clock, scheme_for={"ris.example.org": "https"})


def _records(items: Any) -> list[Record]:
    return [i for i in items if isinstance(i, Record)]


LOCATION = {"id": f"{BASE}/location/1", "type": "https://schema.oparl.org/1.1/Location", "description": "Rathaus"}


def _meeting(n: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": f"{BASE}/meeting/{n}",
        "type": "https://schema.oparl.org/1.1/Meeting",
        "name": f"Sitzung {n}",
        "start": "2024-05-02T18:00:00+02:00",
        "location": dict(LOCATION),
        "agendaItem": items,
    }


def _item(n: int, name: str = "TOP") -> dict[str, Any]:
    return {"id": f"{BASE}/agendaitem/{n}", "type": "https://schema.oparl.org/1.1/AgendaItem", "name": name}


def test_shared_location_is_normalized_once_per_run() -> None:
    norm = _normalizer()
    out = [r for n in range(50) for r in _records(norm.items(_meeting(n, []), expected="Meeting"))]
    assert sum(isinstance(r, Location) for r in out) == 1
    meetings = [r for r in out if isinstance(r, Meeting)]
    assert len(meetings) == 50 and {m.location for m in meetings} == {f"{BASE}/location/1"}
    # the listed copy of the same Location is skipped as well
    assert _records(norm.items(dict(LOCATION), expected="Location")) == []
    assert norm.skipped == 50


def test_a_differing_copy_is_normalized_again() -> None:
    norm = _normalizer()
    _records(norm.items(dict(LOCATION), expected="Location"))
    changed = {**LOCATION, "description": "Rathaus, Saal 2"}
    again = _records(norm.items(changed, expected="Location"))
    assert [r.name or getattr(r, "description", None) for r in again] == ["Rathaus, Saal 2"]


def test_agenda_item_order_is_kept_when_some_items_were_seen_before() -> None:
    norm = _normalizer()
    _records(norm.items(_item(1), expected="AgendaItem"))  # listed before its meeting
    out = _records(norm.items(_meeting(7, [_item(1), _item(2), _item(3)]), expected="Meeting"))
    items = {r.id: r for r in out if isinstance(r, AgendaItem)}
    assert set(items) == {f"{BASE}/agendaitem/2", f"{BASE}/agendaitem/3"}
    assert items[f"{BASE}/agendaitem/2"].order == 1 and items[f"{BASE}/agendaitem/3"].order == 2
    meeting = next(r for r in out if isinstance(r, Meeting))
    assert meeting.agenda_item == [f"{BASE}/agendaitem/{n}" for n in (1, 2, 3)]


def test_repair_url_fast_path_agrees_with_full_parse() -> None:
    pieces = ["http://", "https://", "h.example", "H.Example", ":8080", ":99999", "/", "//", "/a", "/a/", "?", "?x=1",
              "#f", "/b c", "/ä", "|", "%20", " ", "@", ".", "..", "-"]  # fmt: skip
    rng = random.Random(11)
    urls = ["".join(c) for n in range(1, 4) for c in itertools.product(pieces, repeat=n)]
    urls += ["".join(rng.choices(pieces, k=rng.randint(4, 7))) for _ in range(10_000)]
    for url in urls:
        text = url.strip()
        parts = urlsplit(text)
        path = quote(re.sub(r"/{2,}", "/", parts.path), safe="/%:@!$&'()*+,;=-._~")
        query = quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
        assert repair_url(url) == urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment)), url


def test_meeting_status_prefilter_changes_no_answer() -> None:
    from ris_connector.normalize.status import _STATED, status_from_text

    def full(text: str) -> Any:
        return next((status for pattern, status in _STATED if pattern.search(text)), None)

    words = ["abgesagt", "Absage", "ENTFÄLLT", "entfallen", "fällt  aus", "Ausgefallen", "storniert", "aufgehoben",
             "cancelled", "canceled", "verschoben", "Vertagt", "verlegt auf", "neuer Termin", "postponed",
             "durchgeführt", "stattgefunden", "beendet", "abgeschlossen", "geschlossen", "protokolliert", "erledigt",
             "eingeladen", "einberufen", "Einladung versandt", "bestätigt", "freigegeben", "geplant", "terminiert",
             "vorgesehen", "in Planung", "scheduled", "Sitzung", "Rat", "Ausschuss", "abgesagte", "xabgesagt",
             "\N{EN DASH}", "", " ", "Bebauungsplan", "ÄÖÜ", "İ", "ß"]  # fmt: skip
    rng = random.Random(3)
    texts = [" ".join(rng.choices(words, k=rng.randint(1, 5))) for _ in range(5_000)]
    texts += [w.upper() for w in words] + words
    stated = 0
    for text in texts:
        assert status_from_text(text) == full(text), text
        stated += status_from_text(text) is not None
    assert 1_000 < stated < len(texts)


def test_page_decoding_gives_what_json_gives() -> None:
    """orjson decodes pages only where its data equals json's (exact types, big integers, NaN, ...)."""
    import json

    from ris_connector.adapters.oparl.jsondecode import decode_json
    from ris_connector.http import HttpResponse

    values = ['"text"', '"\\u00e4\\ud83d\\ude00"', "1", "-0", "1.0", "1e5", "2.5E-3", "-9223372036854775808",
              "9223372036854775807", "18446744073709551616", "123456789012345678901234567890", "-1e400", "NaN",
              "Infinity", "true", "null", "[]", "{}", '{"a":1,"a":2}', '"\\ud800"', '"x\\ty"',
              '"2ba26c4b4442950123456789012345678901"', '"12345678901234567890123"', "[1,18446744073709551616]",
              "-18446744073709551616", "1.12345678901234567890123", "1e0000000000000000000001",
              "1E-00000000000000000000001", '["a", 18446744073709551616]']  # fmt: skip
    rng = random.Random(5)

    def finite(token: str) -> float | None:
        value = float(token)
        return value if value not in (float("inf"), float("-inf")) else None

    # NaN, Infinity and numbers beyond a float are read as null, a lone surrogate as U+FFFD
    # (counted repairs: a value that cannot be had must not cost the page).
    hooks: dict[str, Any] = {"parse_constant": lambda _name: None, "parse_float": finite}
    for _ in range(300):
        body = "{" + ",".join(f'"k{i}":{v}' for i, v in enumerate(rng.choices(values, k=rng.randint(1, 6)))) + "}"
        for raw in (body.encode(), b"\xef\xbb\xbf" + body.encode(), body.replace("k0", "k\u00e4").encode("cp1252")):
            resp = HttpResponse("http://127.0.0.1/list", 200, {}, raw, 0.0)
            data, repaired = decode_json(resp)
            text = (raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="strict")
                    if raw[:1] != b"{" or b"\xe4" not in raw else raw.decode("cp1252"))  # fmt: skip
            expected = json.loads(text, **hooks)
            expected = {k: "\ufffd" if v == "\ud800" else v for k, v in expected.items()}
            assert repr(data) == repr(expected) and repaired == 0, raw


def test_digit_runs_inside_strings_take_the_fast_decoder() -> None:
    """A page whose only long digit runs are inside strings (sha1 checksums, ids) is decoded by
    orjson; one with a number of 19 digits or more, wherever it stands, is not."""
    from ris_connector.adapters.oparl.jsondecode import _REFUSED, _fast_loads

    checksum = b'{"data":[{"sha1Checksum":"2ba26c4b444295e90c60041930734723189339c9","size":1593332}]}'
    assert _fast_loads(checksum) is not _REFUSED
    assert _fast_loads(b'{"id":"https://x/files/12345678901234567890123"}') is not _REFUSED
    for number in (b"12345678901234567890123", b"-12345678901234567890123", b"1.12345678901234567890123",
                   b"1e12345678901234567890123", b"1E12345678901234567890123"):  # fmt: skip
        for body in (b'{"a":' + number + b"}", b"[1, " + number + b"]", b'["x",' + number + b"]"):
            assert _fast_loads(body) is _REFUSED, body


def test_record_bytes_one_pass_agrees_with_the_general_walk() -> None:
    """The batch-size estimate's fast path (dates, the provenance) counts what approx_bytes would."""

    def general(record: Record) -> int:
        total = 0
        for value in record.__dict__.values():
            if type(value) is str:
                total += len(value)
            elif type(value) is list:
                total += 8 * len(value) + sum(len(x) if type(x) is str else approx_bytes(x) for x in value)
            else:
                total += approx_bytes(value)
        return total

    when = datetime(2025, 1, 1, tzinfo=timezone.utc)
    papers = [
        Paper(id=f"{BASE}/papers/1", name="Vorlage", date=date(2025, 1, 2), consultation=[f"{BASE}/c/1"]),
        Paper(
            id=f"{BASE}/papers/2",
            modified=when,
            provenance=Provenance(source="s", adapter="oparl", url=f"{BASE}/papers/2?x", fetched_at=when),
        ),
    ]
    for paper in papers:
        assert record_bytes(paper) == general(paper)


def test_a_copy_seen_before_is_skipped_before_its_id_is_checked_and_keeps_its_notices() -> None:
    """The early skip (content known, id not yet checked) says what the full path said."""
    norm = _normalizer()
    odd_type = "http://schema.oparl.org/1.1/Location"
    odd = {**LOCATION, "id": "http://RIS.example.org/oparl/location/1/", "type": odd_type}
    first = list(norm.items(dict(odd), expected="Location"))
    assert [type(i).__name__ for i in first] == ["Notice", "Location"]
    again = list(norm.items(dict(odd), expected="Location"))
    rid = f"{BASE}/location/1"
    assert [(i.code, i.message) for i in again if isinstance(i, Notice)] == [
        ("oparl-q36-type-uri", f"{rid}: type URI spelled {odd_type!r}")
    ]
    assert _records(again) == [] and norm.skipped == 1
    meeting = next(r for r in _records(norm.items(_meeting(1, []) | {"location": dict(odd)})) if isinstance(r, Meeting))
    assert meeting.location == rid and norm.skipped == 2


def test_identical_copies_without_id_are_mapped_once_per_parent() -> None:
    """An embedded object without id takes its id from its parent: equal content is no copy."""
    norm = _normalizer()
    no_id = {"type": "https://schema.oparl.org/1.1/Location", "id": "", "description": "Saal"}
    out = [r for n in (1, 2) for r in _records(norm.items(_meeting(n, []) | {"location": dict(no_id)}))]
    locations = sorted(r.id for r in out if isinstance(r, Location))
    assert locations == [f"{BASE}/meeting/1#location", f"{BASE}/meeting/2#location"]
    assert norm.skipped == 0
