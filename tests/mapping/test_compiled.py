"""The mapping plan, the one interpreter of a mapping (XML exports and SOAP results alike).

An export is mapped as the XML adapter maps it; odd input must reach every path (namespaces,
nested and parent paths, attributes, nil and null values, bad dates, repeated records), a SOAP
result object must read as the XML element that says the same, and the plan's memos and
precompiled date formats must stay exact and bounded.
"""

from __future__ import annotations

import random
import sys
from datetime import datetime, timezone
from typing import Any

import pytest
from lxml import etree

from ris_connector.adapters.base import Notice
from ris_connector.mapping import Mapping, Place, load_mapping, parse_mapping
from ris_connector.mapping.dateformats import _DIRECTIVES, compile_format
from ris_connector.mapping.readers import MAX_MEMO, compile_path
from ris_connector.models import Meeting, Record
from tests.support.mapping_runs import Mapped, mapped_items, plan_for
from tests.support.ristest import FIXTURES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

NOW = datetime(2024, 3, 20, 12, 0, tzinfo=timezone.utc)


def _view(items: list[Mapped]) -> list[tuple[Any, ...]]:
    return [
        ("record", type(i).__name__, i.model_dump(mode="json"))
        if isinstance(i, Record)
        else ("notice", i.code, i.message, i.count)
        if isinstance(i, Notice)
        else ("rejected", i.type, i.ref, i.reason, i.raw)
        for i in items
    ]


def _mapped(mapping: Mapping, data: bytes, url: str | None, *, keep_raw: bool = False) -> list[tuple[Any, ...]]:
    return _view(mapped_items(plan_for(mapping, "odd stadt", NOW, keep_raw=keep_raw), data, url))


@pytest.mark.parametrize(
    ("page", "url"),
    [
        ("si010.xml", "https://ris.example/bi/si010.asp?selfaction=ws&template=xyz"),
        ("to010.xml", "https://ris.example/bi/to010.asp?selfaction=ws&SILFDNR=5001"),
        ("vo040.xml", None),
    ],
)
def test_allris3_pages_map_to_records(page: str, url: str | None) -> None:
    items = _mapped(load_mapping("allris3"), (FIXTURES / "xml" / "allris3" / page).read_bytes(), url)
    assert any(i[0] == "record" for i in items)
    assert not any(i[0] == "rejected" for i in items)


ODD_MAPPING = r"""
name = "odd"
z_is_utc = false
null_values = ["0", "-"]

[[record]]
type = "Organization"
element = "gremien/gremium"
id = "@nr"
[record.fields]
name = "bezeichnung"
short_name = { path = "kurz", null_values = ["k.A."] }

[[record]]
type = "Meeting"
element = ["termine/termin", "archiv/termin"]
when = ["@nr"]
unless = ["entwurf"]
id = { path = ["@nr", "nummer"] }
[record.fields]
name = { path = ["titel/haupt", "titel"], template = "Sitzung: {}" }
start = { path = "beginn", convert = "datetime", format = ["%Y%m%dT%H%M%SZ", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M:%S%z"] }
end = { path = "ende", convert = "datetime", format = "%d.%m.%Y %H:%M", timezone = "UTC" }
cancelled = { path = "abgesagt", convert = "bool" }
location = { path = "/export/@ort" }
web = { path = "@nr", convert = "url", template = "sitzung.asp?id={}" }
keyword = { path = ["schlagwort", "thema/wort"], convert = "list", separator = ";" }
meeting_state = { path = "../@status" }
[record.relations]
organization = { path = ["@gremium", "gremium"], type = "Organization", many = true, separator = "," }
agenda_item = { path = "top/@nr", type = "AgendaItem", many = true, when = "top" }
invitation = { path = "einladung", param = "EINLADUNG", type = "File" }

[[record]]
type = "AgendaItem"
element = "termin/top"
id = "@nr"
[record.fields]
number = { path = ["n1", "n2", "n3"], convert = "join", separator = "." }
name = "text"
public = { path = "oeffentlich", convert = "bool", true_values = ["öffentlich"], false_values = ["nichtöffentlich"] }
order = { convert = "position" }
[record.relations]
meeting = { path = "../@nr", type = "Meeting", required = true }

[[record]]
type = "Paper"
element = "vorlage"
id = "nr"
[record.fields]
reference = { path = "az", required = true }
name = "betreff"
date = { path = "datum", convert = "date", format = "%d.%m.%Y" }
web = { path = "link", convert = "url" }

[[record]]
type = "Person"
element = "person"
repeated = true
id = "kennung"
[record.fields]
name = "name"
family_name = "nachname"
gender = { path = "geschlecht", convert = "int" }
"""

ODD_EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<export xmlns:x="urn:odd:x" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ort="Rathaus">
  <gremien>
    <x:gremium nr="G1"><x:bezeichnung>  Rat  </x:bezeichnung><kurz>k.A.</kurz></x:gremium>
    <gremium nr="G2"><bezeichnung>Bauausschuss</bezeichnung><kurz>0</kurz></gremium>
    <gremium nr="  "><bezeichnung>ohne Nummer</bezeichnung></gremium>
  </gremien>
  <termine status="eingeladen">
    <termin nr="T1" gremium="G1,G2"><titel><haupt>Rat</haupt> und mehr</titel>
      <beginn>20240312T170000Z</beginn><ende>12.03.2024 19:00</ende><abgesagt>nein</abgesagt>
      <schlagwort>Haushalt; Finanzen;</schlagwort><thema><wort>Bau</wort></thema>
      <top nr="T1-1"><n1>1</n1><n2>0</n2><n3>2</n3><text>Eröffnung</text><oeffentlich>öffentlich</oeffentlich></top>
      <top nr="T1-2"><n1>2</n1><text>Geheim</text><oeffentlich>nichtöffentlich</oeffentlich></top>
      <top nr="T1-3"><text>Falsch</text><oeffentlich>vielleicht</oeffentlich></top>
    </termin>
    <termin nr="T2"><titel>  </titel><beginn>31.02.2024 17:00</beginn></termin>
    <termin nr="T3"><titel xsi:nil="true"/><beginn>2024-03-31T02:30:00+0100</beginn><gremium>G1</gremium>
      <abgesagt>ja</abgesagt></termin>
    <termin nr="T4"><titel>Sommer</titel><beginn>20240331T023000z</beginn><ende>31.03.2024 3:5</ende>
      <abgesagt>kaputt</abgesagt><einladung>F-9</einladung></termin>
    <termin nr="T5"><entwurf>ja</entwurf><titel>Entwurf</titel></termin>
    <termin nr="T5b"><entwurf>   </entwurf><titel>Leerer Entwurf ist keiner</titel>
      <top nr="T5b-1"><n1> 3 </n1><n2>
        a </n2><text>gepolstert</text></top></termin>
    <termin nr="T6"><entwurf>0</entwurf><titel>Entwurf 0 ist kein Entwurf</titel><beginn>2024031</beginn></termin>
    <termin><nummer>T7</nummer><titel>ohne Attribut</titel></termin>
    <termin nr="T12"><titel>In der Lücke</titel><beginn>20240331T023000Z</beginn><ende>31.03.2024 02:30</ende></termin>
    <termin nr="T13"><titel>Doppelt</titel><beginn>20241027T023000Z</beginn><ende>27.10.2024 2:30</ende></termin>
    <termin nr="T14"><titel>Sommer</titel><beginn>20240601T023000Z</beginn></termin>
    <termin nr="T8"><titel>T im Text</titel><beginn>20240312t170000Z</beginn></termin>
    <termin nr="T9"><titel>Sekunde 60</titel><beginn>20240312T170060Z</beginn></termin>
    <termin nr="T10"><titel>Unicode-Ziffern</titel><beginn>\uff12\uff10\uff12\uff140312T170000Z</beginn></termin>
    <termin nr="T11"><titel>Rest</titel><beginn>20240312T1700001Z</beginn></termin>
  </termine>
  <archiv><termin nr="A1"><titel><![CDATA[Archiv & Co]]></titel><beginn> 01.01.2020 9:00 </beginn></termin></archiv>
  <sonst><termin nr="X1"><titel>nicht unter termine</titel></termin></sonst>
  <vorlagen>
    <vorlage><nr>V1</nr><az>2024/1</az><betreff>Haushalt</betreff><datum>02.04.2024</datum><link>v1.pdf</link></vorlage>
    <vorlage><nr>V2</nr><betreff>ohne Aktenzeichen</betreff><datum>2.4.24</datum></vorlage>
    <vorlage><nr>0</nr><az>2024/3</az></vorlage>
    <x:vorlage><x:nr>V4</x:nr><x:az>2024/4</x:az><x:betreff>Namensraum <b>fett</b> Ende</x:betreff></x:vorlage>
  </vorlagen>
  <leute>
    <person><kennung>P1</kennung><name>Erika Muster</name><nachname>Muster</nachname></person>
    <person><kennung>P1</kennung><name>Erika Muster</name><nachname>Muster</nachname></person>
    <person><kennung>P1</kennung><name>Erika M.</name><nachname>Muster</nachname></person>
    <person><kennung>P2</kennung><name>Max</name></person>
    <person><kennung>P2</kennung><name>Max</name></person>
    <person><kennung>P2</kennung><name>Max</name><geschlecht>m</geschlecht></person>
    <person><kennung>P2</kennung><name>Max</name><geschlecht>1</geschlecht></person>
    <person><kennung>P2</kennung><name>Max</name><geschlecht>1</geschlecht></person>
  </leute>
</export>
"""


@pytest.mark.parametrize("keep_raw", [False, True])
@pytest.mark.parametrize("url", [None, "https://odd.example/export.xml?einladung=F-1&x=2"])
def test_odd_export(keep_raw: bool, url: str | None) -> None:
    """Namespaces, nested and parent paths, attributes, nil and null values, bad dates, repeats."""
    mapping = parse_mapping(tomllib.loads(ODD_MAPPING), "odd.toml")
    items = _mapped(mapping, ODD_EXPORT.encode("utf-8"), url, keep_raw=keep_raw)
    reasons = [i[3] for i in items if i[0] == "rejected"]
    dropped = [i[2] for i in items if i[0] == "notice" and i[1] == "invalid-value"]
    # values that cannot be read are dropped with a notice, only ids and required fields quarantine
    assert any("start: not a date-time in format" in m and m.endswith("; dropped") for m in dropped)
    assert any("cancelled: not a boolean" in m for m in dropped)
    assert any("required but empty" in r for r in reasons)
    assert any("no native id" in r for r in reasons)
    assert not any("not a date-time" in r or "not a boolean" in r for r in reasons)
    persons = [i[2]["id"] for i in items if i[0] == "record" and i[1] == "Person"]
    assert persons == ["urn:ris:odd%20stadt:Person:P1", "urn:ris:odd%20stadt:Person:P2"]
    # a repeated record met again with a value that fails is the same record without it:
    # neither quarantined nor yielded again
    assert not [i for i in items if i[0] == "rejected" and i[1] == "Person"]


def test_unknown_timezone_in_a_field_costs_the_value() -> None:
    text = ODD_MAPPING.replace('timezone = "UTC"', 'timezone = "Mars/Olympus"')
    items = _mapped(parse_mapping(tomllib.loads(text), "odd.toml"), ODD_EXPORT.encode("utf-8"), None)
    assert any(i[0] == "notice" and "end: unknown timezone" in i[2] for i in items)
    assert not any(i[0] == "rejected" and "unknown timezone" in i[3] for i in items)


def test_paths_that_name_one_child_become_lookups() -> None:
    assert compile_path("titel") == (True, "titel")
    assert compile_path("./titel/") == (True, "titel")
    for path in ("titel/haupt", "@nr", "../@nr", "/export/@ort", "top/@nr", "."):
        assert compile_path(path) == (False, path)


FORMATS = [
    "%Y%m%dT%H%M%S",
    "%Y%m%dT%H%M%SZ",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d(%H)",
    "%m%d%Y",
    "%d%m%Y%H%M%S",
    "%S%M%H%d%m%Y",
]
ALPHABET = "0123456789" * 4 + "\u0661\uff12TtZz .:-/() \t"  # with Arabic-Indic and full-width digits


def _outcome(parse: Any, text: str) -> Any:
    try:
        return parse(text)
    except ValueError:
        return ValueError


@pytest.mark.parametrize("fmt", FORMATS)
def test_precompiled_formats_accept_and_refuse_what_strptime_does(fmt: str) -> None:
    fast = compile_format(fmt)
    assert fast is not None
    rnd = random.Random(fmt)
    samples = [datetime(2024, 2, 29, 23, 59, 59).strftime(fmt), datetime(2023, 2, 28, 7, 5, 3).strftime(fmt)]
    for _ in range(3000):
        base = rnd.choice(samples)
        chars = list(base)
        for _ in range(rnd.randint(0, 3)):
            op = rnd.random()
            pos = rnd.randrange(len(chars) + 1)
            if op < 0.4 and chars:
                chars[min(pos, len(chars) - 1)] = rnd.choice(ALPHABET)
            elif op < 0.7:
                chars.insert(pos, rnd.choice(ALPHABET))
            elif chars:
                del chars[min(pos, len(chars) - 1)]
        text = "".join(chars)
        assert _outcome(fast, text) == _outcome(lambda t: datetime.strptime(t, fmt), text), text


def test_directive_patterns_are_the_ones_strptime_uses() -> None:
    """Pinned to CPython's own table, so a change there shows up here."""
    import _strptime

    for directive, pattern in _DIRECTIVES.items():
        assert _strptime.TimeRE()[directive] == pattern


@pytest.mark.parametrize("fmt", ["%H:%M", "%Y-%m-%dT%H:%M:%S%z", "%d %B %Y", "%Y-%m-%d %%", "%Y%Y%m%d", "%y%m%d"])
def test_other_formats_stay_with_strptime(fmt: str) -> None:
    assert compile_format(fmt) is None


def test_memos_stay_bounded_on_an_export_that_invents_names() -> None:
    """A hostile export with a new tag and a new committee per element: memory of the plan is capped."""
    count = MAX_MEMO + 500
    body = "".join(
        f"<element><silfdnr>{i}</silfdnr><sisbvcs>20240312T170000Z</sisbvcs><grname>G{i}</grname>"
        f"<x{i}>y</x{i}></element>"
        for i in range(1, count + 1)
    )
    data = f"<export><list>{body}</list></export>".encode()
    plan = plan_for(load_mapping("allris3"), "odd stadt", NOW)
    items = mapped_items(plan, data, None)
    assert len(items) == 2 * count  # a meeting and its committee per element
    assert len(plan._names) <= MAX_MEMO and len(plan._targets) <= MAX_MEMO
    assert len(plan._ok_repeated) <= MAX_MEMO
    last = [i for i in items if isinstance(i, Record)][-2:]
    assert [r.id for r in last] == [
        f"urn:ris:odd%20stadt:Meeting:{count}",
        f"urn:ris:odd%20stadt:Organization:G{count}",
    ]


SOAP_MAPPING = """
name = "sd"
null_values = ["-"]

[[record]]
type = "Meeting"
element = "sitzung"
result = "sitzung"
id = "id"
[record.fields]
name = "titel"
start = { path = "beginn", convert = "datetime" }
cancelled = { path = "abgesagt", convert = "bool" }
keyword = { path = "thema", convert = "list" }
[record.relations]
organization = { path = "gremiumId", type = "Organization", many = true }
"""


def test_a_soap_object_reads_as_the_xml_element_that_says_the_same() -> None:
    """One interpreter: the SOAP adapter's objects (typed values, lists) and the XML adapter's
    elements (texts) go through the same compiled specs and give the same record."""
    mapping = parse_mapping(tomllib.loads(SOAP_MAPPING), "sd.toml")
    xml = (
        "<r><sitzung><id>301</id><titel> Rat </titel><beginn>2024-04-16T18:00:00</beginn><abgesagt>false</abgesagt>"
        "<thema>Haushalt</thema><thema>-</thema><thema>Bau</thema><gremiumId>11</gremiumId></sitzung></r>"
    )
    from_xml = mapped_items(plan_for(mapping, "sd", NOW), xml.encode(), None)
    obj = {
        "id": 301,
        "titel": " Rat ",
        "beginn": datetime(2024, 4, 16, 18, 0),  # zeep gives typed values: a naive local time
        "abgesagt": False,
        "thema": ["Haushalt", "-", "Bau", None],
        "gremiumId": 11,
        "raum": None,
    }
    built = plan_for(mapping, "sd", NOW).object_item(mapping.records[0], obj, Place(position=1, root=[obj]))
    assert built is not None
    (from_soap, notices) = built
    assert notices == [] and from_xml == [from_soap]
    assert isinstance(from_soap, Meeting) and from_soap.keyword == ["Haushalt", "Bau"]
    assert from_soap.organization == ["urn:ris:sd:Organization:11"]


def test_a_soap_object_passes_when_and_unless_as_an_element_does() -> None:
    text = SOAP_MAPPING.replace('id = "id"', 'id = "id"\nwhen = ["titel"]\nunless = ["entwurf"]')
    mapping = parse_mapping(tomllib.loads(text), "sd.toml")
    plan = plan_for(mapping, "sd", NOW)
    spec = mapping.records[0]
    assert plan.object_item(spec, {"id": 1, "titel": "-"}, Place()) is None  # a null value says nothing
    assert plan.object_item(spec, {"id": 1, "titel": "Rat", "entwurf": True}, Place()) is None
    assert plan.object_item(spec, {"id": 1, "titel": "Rat", "entwurf": "  "}, Place()) is not None
    element = etree.fromstring(b"<r><sitzung><id>1</id><titel>-</titel></sitzung></r>")
    assert list(plan.items(element[0], Place(), {}, set())) == []


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Sao_Paulo", "UTC"])
@pytest.mark.parametrize("z_is_utc", [False, True])
def test_compiled_datetime_converter_gives_what_the_general_one_gives(zone: str, z_is_utc: bool) -> None:
    """The per-field converter builds the datetime straight from the parsed numbers; value,
    zone, ``fold`` and error stay those of :func:`to_datetime` (DST gaps and overlaps included)."""
    from ris_connector.mapping.convert import ConvertContext, compile_converter, to_datetime
    from ris_connector.mapping.model import FieldSpec
    from ris_connector.normalize.times import get_timezone

    spec = FieldSpec(path=["x"], convert="datetime", format=["%Y%m%dT%H%M%SZ", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M%z"])
    ctx = ConvertContext(tz=get_timezone(zone), z_is_utc=z_is_utc)
    fast = compile_converter(spec, ctx)
    rnd = random.Random(zone)
    texts = ["20240331T023000Z", "20241027T023000Z", "20241027T023000z", "31.03.2024 2:30", "27.10.2024 02:30"]
    texts += ["20241103T000000Z", "20240218T000000Z", "2024-03-31T02:30+0100", "31.02.2024 17:00", "20240312T170060Z"]
    for _ in range(400):
        moment = datetime(2024, 1, 1) + (datetime(2025, 1, 1) - datetime(2024, 1, 1)) * rnd.random()
        texts.append(moment.strftime(rnd.choice(["%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S", "%d.%m.%Y %H:%M"])))

    def outcome(convert: Any, text: str) -> Any:
        try:
            value = convert(text)
        except ValueError as exc:
            return ("error", str(exc))
        return (value, str(value.tzinfo), value.fold, value.utcoffset())

    for text in texts:
        assert outcome(lambda t: fast([t], None, 0), text) == outcome(lambda t: to_datetime(t, spec, ctx), text), text


def test_element_paths_read_from_the_end_with_namespaces_anchors_and_wildcards() -> None:
    from ris_connector.mapping.paths import ElementPath, element_matches

    root = etree.fromstring(b'<export xmlns:x="urn:x"><x:list><element/><other><element/></other></x:list></export>')
    direct, nested = root[0][0], root[0][1][0]
    names: dict[Any, str] = {}
    expected = {
        "list/element": (True, False),
        "/export/list/element": (True, False),
        "/list/element": (False, False),
        "*/element": (True, True),
        "element": (True, True),
        "export/*/other/element": (False, True),
        "other/element/x": (False, False),
    }
    for path, (at_direct, at_nested) in expected.items():
        compiled = ElementPath(path)
        assert (compiled.matches(direct, names), compiled.matches(nested, names)) == (at_direct, at_nested), path
        assert (element_matches(direct, path), element_matches(nested, path)) == (at_direct, at_nested), path
