"""A municipality with a new XML export needs only a mapping file: no Python code in this test.

The vendor "RatsPortal" is invented: namespaced elements, ids in attributes, German dates,
"ja"/"nein" flags, files nested in papers, a real UTC "Z" - all handled by a TOML file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ris_connector.cli import main
from ris_connector.models import AgendaItem, File, Meeting, Organization, Paper
from ris_connector.store import SQLiteStore
from tests.support.ristest import record_of
from tests.support.static_server import Page, StaticServer

EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<rp:export xmlns:rp="urn:ratsportal:export:2" erstellt="2024-05-02T06:00:00Z">
  <rp:gremien>
    <rp:gremium nr="G1"><rp:bezeichnung>Gemeinderat</rp:bezeichnung><rp:kurz>GR</rp:kurz></rp:gremium>
  </rp:gremien>
  <rp:termine>
    <rp:termin nr="T-100" gremium="G1">
      <rp:titel>Öffentliche Sitzung des Gemeinderates</rp:titel>
      <rp:beginn>2024-05-14T16:30:00Z</rp:beginn>
      <rp:abgesagt>nein</rp:abgesagt>
      <rp:top nr="T-100-1"><rp:nummer>1</rp:nummer><rp:text>Haushalt 2025</rp:text>
        <rp:oeffentlich>ja</rp:oeffentlich></rp:top>
      <rp:top nr="T-100-2"><rp:nummer>2</rp:nummer><rp:text>Bebauungsplan Nord</rp:text>
        <rp:oeffentlich>nein</rp:oeffentlich></rp:top>
    </rp:termin>
    <rp:termin nr="T-101" gremium="G1">
      <rp:titel>Sitzung des Gemeinderates</rp:titel>
      <rp:beginn>2024-06-11T16:30:00Z</rp:beginn>
      <rp:abgesagt>ja</rp:abgesagt>
    </rp:termin>
  </rp:termine>
  <rp:vorlagen>
    <rp:vorlage nr="V-9"><rp:az>2024/009</rp:az><rp:betreff>Haushaltssatzung 2025</rp:betreff>
      <rp:datum>02.04.2024</rp:datum><rp:stichworte>Haushalt; Finanzen</rp:stichworte>
      <rp:datei nr="D-1"><rp:name>Vorlage.pdf</rp:name><rp:url>/dokumente/D-1.pdf</rp:url>
        <rp:bytes>48213</rp:bytes></rp:datei>
    </rp:vorlage>
  </rp:vorlagen>
</rp:export>
"""

MAPPING = """
name = "ratsportal"
description = "RatsPortal export v2 (invented vendor for this test)"
z_is_utc = true

[[record]]
type = "Organization"
element = "gremien/gremium"
id = "@nr"
fields = { name = "bezeichnung", short_name = "kurz" }

[[record]]
type = "Meeting"
element = "termine/termin"
id = "@nr"
[record.fields]
name = "titel"
start = { path = "beginn", convert = "datetime" }
cancelled = { path = "abgesagt", convert = "bool" }
[record.relations]
organization = { path = "@gremium", type = "Organization", many = true }
agenda_item = { path = "top/@nr", type = "AgendaItem", many = true }

[[record]]
type = "AgendaItem"
element = "termin/top"
id = "@nr"
[record.fields]
number = "nummer"
name = "text"
public = { path = "oeffentlich", convert = "bool" }
order = { convert = "position" }
[record.relations]
meeting = { path = "../@nr", type = "Meeting" }

[[record]]
type = "Paper"
element = "vorlage"
id = "@nr"
[record.fields]
reference = "az"
name = "betreff"
date = { path = "datum", convert = "date", format = "%d.%m.%Y" }
keyword = { path = "stichworte", convert = "list", separator = ";" }
[record.relations]
main_file = { path = "datei/@nr", type = "File" }

[[record]]
type = "File"
element = "vorlage/datei"
id = "@nr"
[record.fields]
name = "name"
file_name = "name"
access_url = { path = "url", convert = "url" }
size = { path = "bytes", convert = "int" }
"""


@pytest.fixture
def portal():  # type: ignore[no-untyped-def]
    server = StaticServer({"/export/ratsinfo.xml": Page(EXPORT.encode("utf-8"), "application/xml")}).start()
    yield server
    server.stop()


def test_new_vendor_needs_only_a_mapping_file(portal: StaticServer, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "ratsportal.toml").write_text(MAPPING, encoding="utf-8")
    config = tmp_path / "ris.toml"
    config.write_text(
        f"""
db = "ris.db"
[[source]]
name = "neustadt"
adapter = "xml"
mapping = "{tmp_path / "ratsportal.toml"}"
url = "{portal.url("/export/ratsinfo.xml")}"
[source.http]
rate_limit = 0
""",
        encoding="utf-8",
    )
    assert main(["sync", "--config", str(config), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "complete"
    assert {t: c["created"] for t, c in report["counts"].items()} == {
        "Organization": 1,
        "Meeting": 2,
        "AgendaItem": 2,
        "Paper": 1,
        "File": 1,
    }
    assert report["missing_references"] == 0

    store = SQLiteStore(tmp_path / "ris.db")
    try:
        meeting = record_of(store, "urn:ris:neustadt:Meeting:T-100", Meeting)
        assert meeting.start.isoformat() == "2024-05-14T16:30:00+00:00"  # this vendor's Z is real UTC
        assert meeting.organization == ["urn:ris:neustadt:Organization:G1"]
        assert meeting.agenda_item == ["urn:ris:neustadt:AgendaItem:T-100-1", "urn:ris:neustadt:AgendaItem:T-100-2"]
        assert record_of(store, "urn:ris:neustadt:Meeting:T-101", Meeting).status.value == "cancelled"
        top = record_of(store, "urn:ris:neustadt:AgendaItem:T-100-2", AgendaItem)
        assert (top.meeting, top.public, top.order) == ("urn:ris:neustadt:Meeting:T-100", False, 2)
        paper = record_of(store, "urn:ris:neustadt:Paper:V-9", Paper)
        assert paper.date.isoformat() == "2024-04-02" and paper.keyword == ["Haushalt", "Finanzen"]
        assert paper.main_file == "urn:ris:neustadt:File:D-1"
        file = record_of(store, "urn:ris:neustadt:File:D-1", File)
        assert file.access_url == portal.url("/dokumente/D-1.pdf") and file.size == 48213
        assert record_of(store, "urn:ris:neustadt:Organization:G1", Organization).short_name == "GR"
    finally:
        store.close()
