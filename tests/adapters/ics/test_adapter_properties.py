"""Property tests: one spoiled optional value costs that value, never the event (issue 13).

Hypothesis takes a valid event and spoils one optional property in every way it can think of:
random text, random bytes (invalid UTF-8, NUL and other control characters, bare CR/LF), a
wrong ``VALUE=``, huge numbers, parameters with odd quoting, an empty value. Each example is a
feed of several events, each with one spoiled property, served over real HTTP and synced into
a real SQLite file. Every event must survive with its good fields (compared with the same
event unspoiled), and a value that was dropped must be counted as a notice.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ris_connector.adapters.ics.rrule import expand, parse_rule
from ris_connector.store import SQLiteStore
from tests.support.ics_feeds import stored, sync_ics, warned
from tests.support.ics_server import IcsServer
from tests.support.storecheck import invariant_violations

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: The good event; ``{i}`` makes UID and place differ per event of a feed.
GOOD = {
    "UID": "UID:e{i}",
    "DTSTART": "DTSTART;TZID=Europe/Berlin:20260610T170000",
    "DTEND": "DTEND;TZID=Europe/Berlin:20260610T190000",
    "SUMMARY": "SUMMARY:Ausschuss für Bauen",
    "LOCATION": "LOCATION:Rathaus {i}",
    "GEO": "GEO:51.2345;7.1234",
    "URL": "URL:https://ris.example.de/si010?SILFDNR={i}",
    "DESCRIPTION": "DESCRIPTION:Öffentliche Sitzung",
    "CATEGORIES": "CATEGORIES:Bauen,Umwelt",
    "STATUS": "STATUS:CONFIRMED",
    "ORGANIZER": "ORGANIZER;CN=Bürgerbüro:mailto:bb@example.de",
    "LAST-MODIFIED": "LAST-MODIFIED:20260501T080000Z",
    "CREATED": "CREATED:20260401T080000Z",
    "SEQUENCE": "SEQUENCE:3",
    "CLASS": "CLASS:PUBLIC",
    "ATTACH": "ATTACH:https://ris.example.de/vorlage.pdf",
    "X-MICROSOFT-CDO-BUSYSTATUS": "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
}
#: Properties that may be spoiled ("DURATION" replaces DTEND).
OPTIONAL = [name for name in GOOD if name not in ("UID", "DTSTART")] + ["DURATION"]
#: What a dropped value of a mapped property leaves out, and the notices that explain it.
DROPPED = {
    "GEO": ("geojson", {"ics-bad-geo"}),
    "URL": ("web", {"ics-bad-url"}),
    "DTEND": ("end", {"ics-bad-dtend", "ics-end-before-start", "ics-placeholder-dtend"}),
    "DURATION": ("end", {"ics-bad-duration", "ics-end-before-start", "ics-placeholder-dtend"}),
    "ORGANIZER": ("organizer", {"ics-bad-organizer"}),
}
#: Record fields each property may change (besides id and location id); the rest must stay.
CHANGES = {
    "SUMMARY": {"name", "status"},
    "DTEND": {"end", "status", "allDay"},
    "DURATION": {"end", "status"},
    "LOCATION": {"location", "locationText"},
    "URL": {"web"},
    "DESCRIPTION": {"description"},
    "CATEGORIES": {"keyword", "service"},
    "STATUS": {"meetingState", "cancelled", "status"},
    "ORGANIZER": {"organizer"},
}
#: A line break followed by something like a content line adds a property (or ends the event)
#: rather than spoiling a value: that is not this test's business.
_STRUCTURE = re.compile(rb"[\r\n][A-Za-z0-9-]+[;:]")

_VALUE_TYPES = ["DATE", "DATE-TIME", "PERIOD", "BINARY", "INTEGER", "FLOAT", "TEXT", "URI", "UTC-OFFSET", "BOGUS", ""]
_HUGE = [
    "9" * 400,
    "-1e309",
    "1e400;1e400",
    "99999999999999999999;1",
    "P99999999999999W",
    "PT999999999H",
    "99999999T999999Z",
    "00000000",
    "00010101T000000",
    "99991231T235959Z",
    "-0",
    "NaN;NaN",
]


def _spoiled_line(name: str) -> st.SearchStrategy[bytes]:
    prefix = name.encode()
    text = st.text(max_size=60).map(lambda t: prefix + b":" + t.encode("utf-8"))
    raw = st.binary(max_size=60).map(lambda b: prefix + b":" + b)
    value_type = st.tuples(st.sampled_from(_VALUE_TYPES), st.text(max_size=30)).map(
        lambda p: prefix + f";VALUE={p[0]}:{p[1]}".encode()
    )
    huge = st.sampled_from(_HUGE).map(lambda v: prefix + b":" + v.encode())
    quoting = st.tuples(st.text(alphabet=';:,"=^ aZ-\\', max_size=25), st.text(max_size=20)).map(
        lambda p: prefix + f";{p[0]}:{p[1]}".encode()
    )
    good_value = GOOD.get(name, "DURATION:PT1H").format(i=0).split(":", 1)[1]
    good_with_odd_params = st.text(alphabet=';:,"=^ aZ-\\', max_size=25).map(
        lambda p: prefix + f";X-A={p}:{good_value}".encode()
    )
    empty = st.just(prefix + b":")
    return st.one_of(text, raw, value_type, huge, quoting, good_with_odd_params, empty)


spoils = st.sampled_from(OPTIONAL).flatmap(lambda name: st.tuples(st.just(name), _spoiled_line(name)))


def feed(spoiled: list[tuple[str, bytes]]) -> bytes:
    """One event per spoil, event i with its property replaced (or added) by the spoiled line."""
    out = [b"BEGIN:VCALENDAR", b"VERSION:2.0", b"PRODID:-//ris-connector tests//DE"]
    for i, (name, line) in enumerate(spoiled):
        out.append(b"BEGIN:VEVENT")
        for key, template in GOOD.items():
            replaced = key == name or (name == "DURATION" and key == "DTEND")
            out.append(line if replaced else template.format(i=i).encode())
        out.append(b"END:VEVENT")
    out.append(b"END:VCALENDAR")
    return b"\r\n".join(out) + b"\r\n"


@pytest.fixture(scope="module")
def server() -> Iterator[IcsServer]:
    with IcsServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def baseline(server: IcsServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The unspoiled event's records, per kind (UID e0)."""
    out = {}
    for kind, type_name in (("meetings", "Meeting"), ("appointments", "Appointment")):
        store = SQLiteStore(tmp_path_factory.mktemp("baseline") / f"{kind}.db")
        try:
            report = sync_ics(server.put(f"/base-{kind}.ics", feed([("X-NONE", b"X-NONE:1")])), store, kind=kind)
            assert report.to_json_dict()["warnings"] == []
            (record,) = stored(store, type_name).values()
            (place,) = stored(store, "Location").values()
            out[type_name] = {**record, "geojson": place.get("geojson")}
        finally:
            store.close()
    return out


def _compare(kind: str, spoiled: list[tuple[str, bytes]], server: IcsServer, baseline: dict[str, Any]) -> None:
    for _, line in spoiled:
        assume(not _STRUCTURE.search(line))
    type_name = "Meeting" if kind == "meetings" else "Appointment"
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(Path(folder) / "ris.db")
        try:
            report = sync_ics(server.put(f"/spoiled-{kind}.ics", feed(spoiled)), store, kind=kind)
            records = stored(store, type_name)
            places = {pid: p for pid, p in stored(store, "Location").items()}
            assert invariant_violations(str(Path(folder) / "ris.db")) == []
        finally:
            store.close()
    assert report.status == "complete", report.errors
    assert report.counts[type_name]["quarantined"] == 0
    base = baseline[type_name]
    needed: dict[frozenset[str], int] = {}
    for i, (name, _line) in enumerate(spoiled):
        record = records[f"urn:ris:stadt:{type_name}:e{i}"]  # the event survived
        place = places.get(record.get("location", ""), {})
        got = {**record, "geojson": place.get("geojson")}
        allowed = CHANGES.get(name, set()) | {"id", "location", "provenance", "web", "locationText"}
        if name == "GEO" or name == "LOCATION":
            allowed |= {"geojson"}
        for key in (set(base) | set(got)) - allowed:
            assert got.get(key) == base.get(key), (name, key, got.get(key), base.get(key))
        if name in DROPPED:
            field, codes = DROPPED[name]
            if got.get(field) is None and (name != "ORGANIZER" or kind == "appointments"):
                needed[frozenset(codes)] = needed.get(frozenset(codes), 0) + 1
    for any_of, count in needed.items():
        assert sum(warned(report, code) for code in any_of) >= count, (sorted(any_of), report.warnings)
    if any(_invalid_utf8(line) for _, line in spoiled):
        assert warned(report, "ics-encoding") >= 1


def _invalid_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@pytest.mark.parametrize("kind", ["meetings", "appointments"])
@SETTINGS
@given(spoiled=st.lists(spoils, min_size=1, max_size=8))
def test_a_spoiled_optional_value_never_costs_the_event(
    server: IcsServer, baseline: dict[str, Any], kind: str, spoiled: list[tuple[str, bytes]]
) -> None:
    _compare(kind, spoiled, server, baseline)


@SETTINGS
@given(line=st.one_of(_spoiled_line("DTSTART"), _spoiled_line("UID")))
def test_a_spoiled_identity_or_start_quarantines_at_most_that_event(server: IcsServer, line: bytes) -> None:
    """DTSTART and UID are not optional: the event is stored or quarantined with its reason;
    the other events of the feed are never touched."""
    assume(not _STRUCTURE.search(line))
    name = "DTSTART" if line.startswith(b"DTSTART") else "UID"
    text = feed([("X-NONE", b"X-NONE:1")] * 20 + [(name, line)])
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(Path(folder) / "ris.db")
        try:
            report = sync_ics(server.put("/identity.ics", text), store)
            meetings = stored(store, "Meeting")
            quarantined = store.quarantined()
        finally:
            store.close()
    assert report.status == "complete"
    assert all(f"urn:ris:stadt:Meeting:e{i}" in meetings for i in range(20))
    duplicate = warned(report, "ics-duplicate-uid") + warned(report, "ics-uid-collision")
    assert len(meetings) + len(quarantined) == 21 or duplicate, "stored, quarantined or counted as a copy"
    for rejected in quarantined:
        assert "DTSTART" in rejected["reason"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cuts=st.lists(st.tuples(st.integers(min_value=0, max_value=4000), st.binary(max_size=40)), max_size=6),
)
def test_any_mangled_feed_ends_complete_or_incomplete_never_in_a_traceback(
    server: IcsServer, cuts: list[tuple[int, bytes]]
) -> None:
    text = bytearray(feed([("X-NONE", b"X-NONE:1")] * 12))
    for position, junk in cuts:
        text[position : position + len(junk) // 2] = junk
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "ris.db")
        store = SQLiteStore(db)
        try:
            report = sync_ics(server.put("/mangled.ics", bytes(text)), store)
        finally:
            store.close()
        # "degraded" (read whole, much quarantined) where the engine knows it
        assert report.status in ("complete", "degraded", "incomplete"), report.errors
        assert invariant_violations(db) == []


# --- the recurrence walker against python-dateutil ------------------------------------------

_FREQS = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"]
_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def _signed(most: int) -> st.SearchStrategy[int]:
    """1..most or -most..-1 (RFC 5545 has no 0 for these)."""
    return st.integers(1, most).flatmap(lambda n: st.sampled_from([n, -n]))


@st.composite
def _rules(draw: st.DrawFn) -> str:
    freq = draw(st.sampled_from(_FREQS))
    parts = [f"FREQ={freq}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(1, 5))}")
    if draw(st.booleans()):
        parts.append(f"COUNT={draw(st.integers(1, 60))}")

    def some(key: str, values: st.SearchStrategy[int], most: int = 3) -> None:
        if draw(st.integers(0, 3)) == 0:
            chosen = draw(st.lists(values, min_size=1, max_size=most, unique=True))
            parts.append(f"{key}={','.join(map(str, chosen))}")

    some("BYMONTH", st.integers(1, 12))
    some("BYMONTHDAY", _signed(31))
    some("BYYEARDAY", _signed(366))
    # BYWEEKNO is left to test_byweekno_follows_iso_weeks: at year ends dateutil miscounts the
    # weeks of the year before and does not carry negative week numbers into the next year.
    some("BYHOUR", st.integers(0, 23))
    some("BYMINUTE", st.integers(0, 59))
    some("BYSECOND", st.integers(0, 59))
    if draw(st.integers(0, 2)) == 0:  # plain weekdays, or numbered ones (MONTHLY, YEARLY): not mixed
        numbered = freq in ("MONTHLY", "YEARLY") and draw(st.booleans())
        days = draw(st.lists(st.sampled_from(_DAYS), min_size=1, max_size=3, unique=True))
        nth = _signed(5)
        parts.append("BYDAY=" + ",".join(f"{draw(nth)}{d}" if numbered else d for d in days))
    if freq not in ("MINUTELY", "SECONDLY") and draw(st.integers(0, 3)) == 0:
        parts.append(f"BYSETPOS={draw(_signed(3))}")
    if draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(_DAYS))}")
    return ";".join(parts)


@settings(max_examples=150, deadline=None)
@given(
    year=st.integers(1901, 2399),
    week=_signed(53),
    weekday=st.sampled_from(_DAYS),
)
def test_byweekno_follows_iso_weeks(year: int, week: int, weekday: str) -> None:
    """YEARLY;BYWEEKNO=n;BYDAY=d gives the day d of ISO week n of each year (week 1 holds
    January 4; negative n counts from the year's last week), checked with ``date.isocalendar``."""
    weeks = date(year, 12, 28).isocalendar()[1]  # December 28 is always in the year's last week
    number = week if week > 0 else weeks + week + 1
    rule = parse_rule(f"FREQ=YEARLY;BYWEEKNO={week};BYDAY={weekday}")
    lower, upper = datetime(year - 1, 12, 20), datetime(year + 1, 1, 12)
    found = expand(rule, datetime(year - 1, 1, 1, 9), lower, upper, limit=10, max_work=10**6)
    in_year = [d for d in found.starts if d.isocalendar()[0] == year]
    if 1 <= number <= weeks:
        assert [d.isocalendar()[1:] for d in in_year] == [(number, _DAYS.index(weekday) + 1)]
    else:  # week 53 of a year with 52 weeks
        assert in_year == []


@settings(max_examples=150, deadline=None)
@given(
    rule=_rules(),
    start=st.datetimes(min_value=datetime(9990, 1, 1), max_value=datetime(9993, 12, 31)),
    offset=st.integers(0, 800),
)
def test_recurrence_walker_gives_dateutils_occurrences(rule: str, start: datetime, offset: int) -> None:
    """Near the year 9999, where dateutil's endless walk ends soon (the Gregorian calendar
    repeats every 400 years, so these years are like any others)."""
    start = start.replace(microsecond=0)
    lower = start + timedelta(days=offset)
    upper = min(lower + timedelta(days=400), datetime(9999, 12, 31, 23, 59, 59))
    try:
        reference_rule = rrulestr(f"RRULE:{rule}", dtstart=start)
    except ValueError:
        return  # dateutil refuses rules (an empty BYxxx set for the interval) that we walk
    reference: list[datetime] = []
    for moment in reference_rule.xafter(lower, inc=True):
        if moment > upper or len(reference) > 200:
            break
        reference.append(moment)
    found = expand(parse_rule(rule), start, lower, upper, limit=200, max_work=10**8)
    assert found.starts == reference[:200]
    assert found.cut == ("limit" if len(reference) > 200 else None)
