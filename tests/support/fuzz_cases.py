"""Generated HTTP answers for every built-in adapter, and one sync of each through the engine.

A :class:`Case` is a small source served by :class:`raw_server.RawServer`: valid answers
everywhere (an OParl System with a Body, paper and meeting lists and a referenced
organization; two ALLRIS 3 XML pages; the Sitzungsdienst WSDL and its SOAP answers; an ALLRIS
iCalendar feed) except one *slot*, whose answer hypothesis generates: any status (1xx to 5xx),
odd Content-Type, Content-Length, Content-Encoding, Location and Retry-After headers, and a
body that is the valid one broken (truncated, bytes flipped, nested 100,000 deep, a number of
5,000 digits, NaN, duplicate keys, other encodings, DOCTYPEs and entities, SOAP faults) or
random bytes. :func:`run_case` syncs it in-process and returns what the test and the
benchmark check: exit status, tracebacks logged, time, store invariants.

Used by tests/sync/test_engine_fuzz.py and bench/fuzz_sources.py.
"""

from __future__ import annotations

import gzip
import json
import logging
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from ris_connector.clock import SystemClock
from ris_connector.config import source_from_mapping
from ris_connector.store import SQLiteStore
from ris_connector.sync import RunReport, run_source
from ris_connector.testing import Request
from tests.support.raw_server import Raw, RawServer, Route, answer
from tests.support.soap_server import WSDL, SoapServer
from tests.support.storecheck import invariant_violations

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ADAPTERS = ("oparl", "xml", "soap", "ics")

#: HTTP settings that keep a run short whatever the server does (no politeness delay, two
#: attempts, Retry-After capped, a 5 s deadline per request).
FUZZ_HTTP: dict[str, Any] = {
    "rate_limit": 0,
    "max_attempts": 2,
    "backoff_initial": 0.01,
    "backoff_max": 0.02,
    "max_retry_after": 0.05,
    "connect_timeout": 2,
    "read_timeout": 3,
    "deadline": 5,
    "max_bytes": 8 * 1024 * 1024,
    "max_redirects": 4,
}
#: Exit status of the CLI for a run status (4: degraded, added on branch i13-engine).
EXIT = {"complete": 0, "degraded": 4}

JSON = b"application/json; charset=utf-8"
XML_LATIN1 = b"text/xml; charset=ISO-8859-1"
XML_UTF8 = b"text/xml; charset=utf-8"
ICS = b"text/calendar; charset=utf-8"


# -- the valid sources ---------------------------------------------------------------------------
def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def oparl_routes(base: str) -> dict[str, Raw]:
    """A tiny OParl 1.1 source: System, one Body, two paper pages, a meeting page, one object."""
    o = f"{base}/oparl"
    t = "https://schema.oparl.org/1.1/"
    stamp = {"created": "2024-01-10T09:00:00+01:00", "modified": "2024-02-01T10:00:00+01:00"}
    paper = [
        {"id": f"{o}/papers/{n}", "type": t + "Paper", "name": f"Vorlage Straßenbau {n}", "reference": f"VO/{n}",
         "date": "2024-01-1" + str(n), "paperType": "Beschlussvorlage", **stamp}
        for n in (1, 2, 3)
    ]  # fmt: skip
    meeting: dict[str, Any] = {
        "id": f"{o}/meetings/1", "type": t + "Meeting", "name": "Sitzung des Rates", **stamp,
        "start": "2024-03-12T17:00:00+01:00", "end": "2024-03-12T19:00:00+01:00",
        "organization": [f"{o}/organizations/9"],
        "location": {"id": f"{o}/locations/1", "type": t + "Location", "description": "Ratssaal", **stamp},
        "agendaItem": [{"id": f"{o}/agendaitems/1", "type": t + "AgendaItem", "number": "1", "order": 0,
                        "name": "Eröffnung", "public": True, **stamp}],
    }  # fmt: skip
    return {
        "/oparl/system": answer(200, _json({
            "id": f"{o}/system", "type": t + "System", "oparlVersion": "https://schema.oparl.org/1.1/",
            "body": f"{o}/bodies", "name": "Fuzz-RIS"}), JSON),
        "/oparl/bodies": answer(200, _json({"data": [{
            "id": f"{o}/bodies/1", "type": t + "Body", "name": "Stadt Fuzz", "system": f"{o}/system",
            "paper": f"{o}/papers", "meeting": f"{o}/meetings", **stamp}], "links": {}}), JSON),
        "/oparl/papers": answer(200, _json({"data": paper[:2], "links": {"next": f"{o}/papers2"}}), JSON),
        "/oparl/papers2": answer(200, _json({"data": paper[2:], "links": {}}), JSON),
        "/oparl/meetings": answer(200, _json({"data": [meeting], "links": {}}), JSON),
        "/oparl/organizations/9": answer(200, _json({
            "id": f"{o}/organizations/9", "type": t + "Organization", "name": "Rat", **stamp}), JSON),
    }  # fmt: skip


def xml_routes(base: str) -> dict[str, Raw]:
    """Two ALLRIS 3 pages (meetings, an agenda), as the fixtures hold them (ISO-8859-1)."""
    pages = FIXTURES / "xml" / "allris3"
    return {
        "/bi/si010.asp": answer(200, (pages / "si010.xml").read_bytes(), XML_LATIN1),
        "/bi/to010.asp": answer(200, (pages / "to010.xml").read_bytes(), XML_LATIN1),
    }


def ics_routes(base: str) -> dict[str, Raw]:
    """An ALLRIS 4 meeting calendar."""
    text = (FIXTURES / "ics" / "allris4_SiKalAbo.ics").read_bytes().replace(b"{now}", b"20240301T090000Z")
    return {"/public/ics/SiKalAbo.ics": answer(200, text.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), ICS)}


def soap_answer(request: Request) -> Raw:
    """The Sitzungsdienst test server's answer to one SOAP request (a fault as HTTP 500)."""
    try:
        status, xml = SoapServer().answer(request.body, None)
    except Exception:  # a request the test server cannot read: what a real service says then
        return answer(500, b"<html><body>Internal Server Error</body></html>", b"text/html")
    return answer(status, xml.encode("utf-8"), XML_UTF8)


def wsdl(base: str) -> Raw:
    text = WSDL.read_text(encoding="utf-8").replace("http://127.0.0.1:8099/sitzungsdienst", f"{base}/sd")
    return answer(200, text.encode("utf-8"), XML_UTF8)


def source_for(adapter: str, base: str) -> dict[str, Any]:
    """The source configuration of the adapter's valid source at ``base``."""
    common: dict[str, Any] = {"name": f"fuzz-{adapter}", "http": FUZZ_HTTP}
    if adapter == "oparl":
        return {**common, "adapter": "oparl", "url": f"{base}/oparl/system", "concurrency": 2}
    if adapter == "xml":
        return {
            **common,
            "adapter": "xml",
            "mapping": "allris3",
            "url": f"{base}/bi/si010.asp?selfaction=ws&template=xyz&showall=true",
            "urls": [f"{base}/bi/to010.asp?selfaction=ws&template=xyz&SILFDNR=5001"],
        }
    if adapter == "soap":
        return {**common, "adapter": "soap", "mapping": "sitzungsdienst", "url": f"{base}/sd?wsdl"}
    return {**common, "adapter": "ics", "url": f"{base}/public/ics/SiKalAbo.ics"}


# -- generated answers ---------------------------------------------------------------------------
STATUSES = [100, 101, 103, 199, 200, 201, 203, 204, 206, 299, 300, 301, 302, 303, 304, 307, 308, 400, 401,
            403, 404, 405, 406, 410, 414, 418, 429, 451, 499, 500, 501, 502, 503, 504, 520, 599]  # fmt: skip
CONTENT_TYPES = [
    b"", b"text/html; charset=utf-8", b"text/plain", b"application/octet-stream", b"application/json",
    b"application/json; charset=latin-1", b"application/json; charset=utf-16", b"application/json; charset=nope",
    b"text/xml", b"text/xml; charset=\"windows-1252\"", b"application/xml; charset=utf-16", b"text/calendar",
    b"application/soap+xml; charset=utf-8", b"multipart/mixed; boundary=x", b";;;=", b"\xff\xfe",
]  # fmt: skip
#: Location values of redirects (a latin-1 one, as German servers send them, included).
LOCATIONS = [
    b"", b"/", b"?page=1", b"/stra\xdfe/seite", b"/stra%C3%9Fe", b"http://example.org/elsewhere", b"https://127.0.0.1:1/x",
    b"ftp://127.0.0.1/x", b"javascript:alert(1)", b"http://[::1/x", b"//127.0.0.1:1/x", b"\x00\x01",
    b"/" + b"a" * 5000, b"%zz",
]  # fmt: skip
#: Chunked bodies, whole and broken (``%x`` the size, ``%s`` the body).
CHUNKS = [b"%x\r\n%s\r\n0\r\n\r\n", b"%x\r\n%s", b"zz\r\n%s\r\n", b"%x;x=1\r\n%s\r\n0\r\n\r\n"]
RETRY_AFTER = [b"0", b"1", b"-5", b"abc", b"99999999999", b"Wed, 21 Oct 2099 07:28:00 GMT", b"", b"1e9", b"0.5"]


@dataclass(frozen=True)
class Slot:
    """The request whose answer is generated: ``path``, ``method``, and for POST which one (n-th)."""

    path: str
    method: str = "GET"
    nth: int = 0


SLOTS: dict[str, list[Slot]] = {
    "oparl": [Slot(p) for p in ("/oparl/system", "/oparl/bodies", "/oparl/papers", "/oparl/papers2",
                                "/oparl/meetings", "/oparl/organizations/9")],
    "xml": [Slot("/bi/si010.asp"), Slot("/bi/to010.asp")],
    "soap": [Slot("/sd", "GET"), Slot("/sd", "POST", 0), Slot("/sd", "POST", 1), Slot("/sd", "POST", 3)],
    "ics": [Slot("/public/ics/SiKalAbo.ics")],
}  # fmt: skip


def _nested(depth: int, open_: bytes, close: bytes, inner: bytes = b"") -> bytes:
    return open_ * depth + inner + close * depth


def _json_bodies(valid: bytes) -> st.SearchStrategy[bytes]:
    text = valid.decode("utf-8")
    return st.one_of(
        st.sampled_from(
            [
                _nested(100_000, b"[", b"]"),
                _nested(100_000, b'{"a":', b"}", b"1"),
                b'{"data": [' + _nested(3000, b"[", b"]") + b"]}",
                b'{"data": [{"id": "x", "size": ' + b"7" * 5000 + b'}], "links": {}}',
                valid.replace(b'"Fuzz-RIS"', b"9" * 5000).replace(b'"Stadt Fuzz"', b"-" + b"9" * 4400),
                valid.replace(b'"order": 0', b'"order": NaN').replace(b"true", b"Infinity"),
                valid.replace(b'"name"', b'"name": 1, "name"'),
                b'{"data": {}, "links": {}}',
                b'{"data": [], "links": {"next": 5}}',
                b'{"data": [], "links": {"next": "http://[::1/x"}}',
                b'{"data": [], "links": {"next": "http://example.org/page2"}}',
                b'{"data": [1, "x", null, [], {}], "links": {"next": ["a"]}}',
                b'{"error": "OParl is not active.", "type": "Error"}',
                b'{"data": [{"id": "\\ud800", "type": "\\udfff"}]}',
                valid.replace(b"Stra\xc3\x9fe", b"Stra\\ud83d\\ude00e\\ud800"),
                b"\xef\xbb\xbf" + valid,
                text.encode("utf-16"),
                text.encode("latin-1", errors="replace"),
                b"<!DOCTYPE html><html><body>Wartung</body></html>",
                b"null",
                b"[]",
                b"",
            ]
        ),
        st.integers(0, max(0, len(valid) - 1)).map(lambda n: valid[:n]),
        st.tuples(st.integers(0, max(0, len(valid) - 1)), st.binary(min_size=1, max_size=3)).map(
            lambda p: valid[: p[0]] + p[1] + valid[p[0] + len(p[1]) :]
        ),
    )


def _element(silfdnr: bytes, sisbvcs: bytes) -> bytes:
    return b"<element><silfdnr>" + silfdnr + b"</silfdnr><sisbvcs>" + sisbvcs + b"</sisbvcs></element>"


def _xml_bodies(valid: bytes) -> st.SearchStrategy[bytes]:
    head, _, rest = valid.partition(b"?>")
    laughs = b'<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %c "%s">' % (98 + i, (b"&%c;" % (97 + i)) * 10) for i in range(9)
    )
    return st.one_of(
        st.sampled_from(
            [
                head + b"?>" + laughs + b"]>" + rest.replace(b"<list>", b"<list>&j;", 1),
                head + b'?><!DOCTYPE x SYSTEM "file:///etc/passwd">' + rest,
                head
                + b'?><!DOCTYPE x [<!ENTITY e SYSTEM "http://example.org/e">]>'
                + rest.replace(b"<list>", b"<list>&e;", 1),
                b'<?xml version="1.0" encoding="UTF-16"?>' + rest,
                valid.decode("latin-1").encode("utf-16"),
                valid.decode("latin-1").encode("utf-16-le"),
                valid.decode("latin-1").replace("ISO-8859-1", "UTF-8").encode("utf-8"),
                valid.replace(b"ISO-8859-1", b"no-such-codec"),
                head + b"?>" + _nested(100_000, b"<a>", b"</a>"),
                valid.replace(b"<list>", b"<list>" + _nested(5000, b"<element>", b"</element>"), 1),
                valid.replace(b"</list>", _element(b"9" * 5000, b"0") + b"</list>"),
                valid.replace(b"<list>", b'<list><element a="' + b"x" * 200_000 + b'"/>', 1),
                valid.replace(b"</list>", _element(b"\x00\x01\x1b", b"\xff\xfe") + b"</list>"),
                b"<html><body>Fehler</body></html>",
                b"\xef\xbb\xbf" + valid,
                b"",
            ]
        ),
        st.integers(0, max(0, len(valid) - 1)).map(lambda n: valid[:n]),
        st.tuples(st.integers(0, max(0, len(valid) - 1)), st.binary(min_size=1, max_size=3)).map(
            lambda p: valid[: p[0]] + p[1] + valid[p[0] + len(p[1]) :]
        ),
    )


_SOAP_ENV = (
    b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
    b'xmlns:sd="urn:ris-connector:test:sitzungsdienst:1"><soap:Body>%s</soap:Body></soap:Envelope>'
)


def _sitzungen(inner: bytes) -> bytes:
    return b"<sd:SitzungenImZeitraumResponse>" + inner + b"</sd:SitzungenImZeitraumResponse>"


def _soap_bodies(valid: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(
        _xml_bodies(valid),
        st.sampled_from(
            [
                _SOAP_ENV % b"<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Wartung</faultstring>"
                b"</soap:Fault>",
                _SOAP_ENV % b"<soap:Fault><faultcode>x</faultcode></soap:Fault>",
                _SOAP_ENV % b"<sd:Unbekannt><sd:x>1</sd:x></sd:Unbekannt>",
                _SOAP_ENV % b"",
                _SOAP_ENV % _sitzungen(b"<sd:sitzung><sd:id>1</sd:id></sd:sitzung>" * 2),
                _SOAP_ENV
                % _sitzungen(
                    b"<sd:sitzung><sd:id>" + b"9" * 5000 + b"</sd:id><sd:titel>x</sd:titel>"
                    b"<sd:beginn>0001-01-01T00:00:00</sd:beginn></sd:sitzung>"
                ),
                b'<?xml version="1.0"?><soap12:Envelope xmlns:soap12="http://www.w3.org/2003/05/soap-envelope"><soap12:Body/></soap12:Envelope>',
                b'<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"/>',
            ]
        ),
    )


def _ics_bodies(valid: bytes) -> st.SearchStrategy[bytes]:
    event = (
        b"BEGIN:VEVENT\r\nUID:fuzz-%d\r\nDTSTAMP:20240301T090000Z\r\nDTSTART:20240312T170000\r\n"
        b"SUMMARY:Sitzung\r\n%sEND:VEVENT\r\n"
    )
    body_end = valid.rfind(b"END:VCALENDAR")
    lines = st.sampled_from(
        [
            b"DTSTART:00010101T000000Z\r\n",
            b"DTSTART;VALUE=DATE:99991231\r\n",
            b"DTSTART;TZID=Mars/Olympus:20240312T170000\r\n",
            b"DTEND:kaputt\r\n",
            b"GEO:50,7\r\n",
            b"GEO:1e400;1e400\r\n",
            b"RRULE:FREQ=DAILY;COUNT=5000\r\n",
            b"RRULE:FREQ=SECONDLY\r\n",
            b"DTSTART:20000101T000000Z\r\nRRULE:FREQ=MINUTELY;INTERVAL=1\r\n",
            b"RRULE:FREQ=YEARLY;BYMONTH=13\r\n",
            b"RRULE:FREQ=WEEKLY;UNTIL=00010101T000000Z\r\n",
            b"RRULE:kaputt\r\n",
            b"EXDATE:kaputt\r\n",
            b"SUMMARY;ENCODING=QUOTED-PRINTABLE:=C3=\r\n",
            b"DESCRIPTION:" + b"x" * 100_000 + b"\r\n",
            b"X-\xff\xfe:\x00\x01\r\n",
            b"ATTACH:http://[::1/x\r\n",
            b"URL:javascript:alert(1)\r\n",
            b"BEGIN:VALARM\r\n" * 50,
            b"",
        ]
    )
    return st.one_of(
        st.lists(lines, min_size=1, max_size=3).map(
            lambda extra: valid[:body_end] + event % (1, b"".join(extra)) + valid[body_end:]
        ),
        st.sampled_from(
            [
                b"BEGIN:VCALENDAR\r\n" + b"BEGIN:VEVENT\r\n" * 20_000,
                b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                b"BEGIN:VCALENDAR\r\n" + b"X" * 2_000_000 + b"\r\nEND:VCALENDAR\r\n",
                valid.decode("utf-8").encode("utf-16"),
                valid.replace(b"\r\n", b"\n "),
                b"<html>kein Kalender</html>",
                b"",
            ]
        ),
        st.integers(0, max(0, len(valid) - 1)).map(lambda n: valid[:n]),
    )


BODIES: dict[str, Callable[[bytes], st.SearchStrategy[bytes]]] = {
    "oparl": _json_bodies,
    "xml": _xml_bodies,
    "soap": _soap_bodies,
    "ics": _ics_bodies,
}


@st.composite
def generated(draw: st.DrawFn, adapter: str, valid: Raw) -> Raw:
    """An answer in place of ``valid``: mostly its status with a spoiled body, sometimes anything."""
    status = draw(st.one_of(st.just(valid.status), st.just(200), st.sampled_from(STATUSES)))
    body = draw(st.one_of(BODIES[adapter](valid.body), st.just(valid.body), st.binary(max_size=300)))
    valid_type = dict(valid.headers).get(b"Content-Type", b"")
    content_type = draw(st.one_of(st.just(valid_type), st.sampled_from(CONTENT_TYPES)))
    headers: list[tuple[bytes, bytes]] = [(b"Content-Type", content_type)]
    encoding = draw(st.sampled_from(["identity", "identity", "gzip", "gzip-lie", "deflate", "br", "x-weird"]))
    if encoding == "gzip":
        body = gzip.compress(body)
    elif encoding == "deflate":
        body = zlib.compress(body)
    if encoding != "identity":
        headers.append((b"Content-Encoding", b"gzip" if encoding == "gzip-lie" else encoding.encode()))
    length = draw(st.sampled_from(["exact", "exact", "none", "short", "long", "bogus", "negative", "twice", "chunked"]))
    if length == "chunked":
        headers.append((b"Transfer-Encoding", b"chunked"))
        chunk = draw(st.sampled_from(CHUNKS))
        body = chunk % (len(body), body) if chunk.count(b"%") == 2 else chunk % body
    elif length != "none":
        value = {
            "exact": str(len(body)).encode(),
            "short": str(max(0, len(body) - 7)).encode(),
            "long": str(len(body) + 100).encode(),
            "bogus": b"zwanzig",
            "negative": b"-1",
            "twice": str(len(body)).encode() + b", 3",
        }[length]
        headers.append((b"Content-Length", value))
    if 300 <= status < 400 and draw(st.booleans()):
        headers.append((b"Location", draw(st.sampled_from(LOCATIONS))))
    if status in (429, 503) or draw(st.integers(0, 9)) == 0:
        headers.append((b"Retry-After", draw(st.sampled_from(RETRY_AFTER))))
    return Raw(status, tuple(headers), body)  # fmt: skip


@dataclass
class Case:
    """One generated source: the adapter, the slot whose answer is generated, and that answer."""

    adapter: str
    slot: Slot
    raw: Raw

    def label(self) -> str:
        return f"{self.adapter} {self.slot.method} {self.slot.path}#{self.slot.nth} -> {self.raw.status}"


def valid_routes(adapter: str, base: str) -> dict[str, Raw]:
    if adapter == "oparl":
        return oparl_routes(base)
    if adapter == "xml":
        return xml_routes(base)
    if adapter == "ics":
        return ics_routes(base)
    return {"/sd": wsdl(base)}


@st.composite
def cases(draw: st.DrawFn, base: str, adapters: tuple[str, ...] = ADAPTERS) -> Case:
    """A case for one of ``adapters`` with its server at ``base`` (valid answers are built for it)."""
    adapter = draw(st.sampled_from(adapters))
    slot = draw(st.sampled_from(SLOTS[adapter]))
    if adapter == "soap" and slot.method == "POST":
        valid = soap_answer(Request("POST", "/sd", {}, _SITZUNGEN))
    else:
        valid = valid_routes(adapter, base)[slot.path]
    return Case(adapter, slot, draw(generated(adapter, valid)))


#: A SitzungenImZeitraum request: what the first SOAP answer of a run replies to.
_SITZUNGEN = (
    b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
    b'xmlns:sd="urn:ris-connector:test:sitzungsdienst:1"><soap:Body><sd:SitzungenImZeitraum>'
    b"<sd:von>2022-01-01</sd:von><sd:bis>2026-01-01</sd:bis></sd:SitzungenImZeitraum></soap:Body></soap:Envelope>"
)


def install(server: RawServer, case: Case) -> None:
    """Serve ``case`` on ``server``: valid answers, the generated one at the case's slot."""
    valid = valid_routes(case.adapter, server.base)
    routes: dict[str, Route] = dict(valid)
    slot, raw = case.slot, case.raw
    if case.adapter == "soap":
        wsdl_answer = raw if slot.method == "GET" else valid["/sd"]
        posts = [0]

        def sd(request: Request) -> Raw:
            if request.method != "POST":
                return wsdl_answer
            n, posts[0] = posts[0], posts[0] + 1
            return raw if slot.method == "POST" and n == slot.nth else soap_answer(request)

        routes["/sd"] = sd
    else:
        routes[slot.path] = raw
    server.serve(routes)


# -- one run ---------------------------------------------------------------------------------------
@dataclass
class Result:
    """What one run of a case showed."""

    status: str
    exit: int
    seconds: float
    errors: list[str]
    tracebacks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Store invariants violated, runs left running."""


class _Tracebacks(logging.Handler):
    """Log records that would print a traceback (exc_info above DEBUG), from any logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.levelno > logging.DEBUG:
            self.found.append(f"{record.name}: {record.getMessage()[:200]}")


@contextmanager
def traceback_watch() -> Iterator[list[str]]:
    handler = _Tracebacks()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.found
    finally:
        root.removeHandler(handler)


def run_case(server: RawServer, case: Case, folder: Path) -> Result:
    """Sync ``case`` once into a new SQLite file in ``folder`` (in-process, through the engine)."""
    install(server, case)
    path = folder / "fuzz.db"
    source = source_from_mapping(source_for(case.adapter, server.base))
    with traceback_watch() as tracebacks:
        started = time.monotonic()
        with SQLiteStore(path) as store:
            report: RunReport = run_source(source, store, clock=SystemClock())
        seconds = time.monotonic() - started
    problems = invariant_violations(str(path))
    db = sqlite3.connect(path)
    try:
        running = db.execute("SELECT run_id, status FROM runs WHERE finished IS NULL OR status = 'running'").fetchall()
    finally:
        db.close()
    if running:
        problems.append(f"runs left running: {running}")
    return Result(report.status, EXIT.get(report.status, 3), seconds, list(report.errors), list(tracebacks), problems)
