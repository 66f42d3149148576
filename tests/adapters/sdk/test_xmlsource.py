"""The SDK's XML document source: record elements mapped, a bad element quarantined, repairs
reported, a hostile document refused, the date window sent."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from lxml import etree

from ris_connector import models
from ris_connector.adapters.sdk import Checkpoint, DateWindow, Notice, Rejected, XmlDocumentAdapter
from ris_connector.clock import FixedClock
from ris_connector.errors import UnsafeXml
from ris_connector.testing import preview, serve_bytes

EXPORT = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<sitzungen>
  <sitzung id="11"><titel>Sitzung des Gemeinderates</titel><beginn>2026-02-03T18:00:00</beginn></sitzung>
  <sitzung id="12"><titel>Bauausschuss</titel><beginn>kein Datum</beginn></sitzung>
  <sitzung id="13"><titel>Kulturausschuss\x07</titel><beginn>2026-02-05T17:00:00</beginn></sitzung>
</sitzungen>
"""  # labelled latin-1, written in UTF-8, with a control character: a real export's faults


class Sitzungen(XmlDocumentAdapter):
    """Meetings of an XML export."""

    name = "sitzungen"
    type = "Meeting"
    elements = ("sitzung",)
    window = DateWindow("von", "bis", days_back=30, days_ahead=90, format="%d.%m.%Y")

    def map(self, element: etree._Element) -> models.Meeting:
        return models.Meeting(
            id=self.id_of(element), name=self.text(element, "titel"), start=self.time(self.text(element, "beginn"))
        )


def test_elements_are_mapped_and_a_bad_one_is_quarantined() -> None:
    clock = FixedClock(datetime(2026, 1, 15, 11, 0, tzinfo=timezone.utc))
    with serve_bytes({"/export.xml": EXPORT}, "text/xml; charset=ISO-8859-1") as server:
        items = preview(Sitzungen, {"url": server.url("/export.xml")}, clock=clock)
        asked = server.requests[0].query
    meetings = [i for i in items if isinstance(i, models.Meeting)]
    assert [(m.id, m.name) for m in meetings] == [
        ("urn:ris:preview:Meeting:11", "Sitzung des Gemeinderates"),
        ("urn:ris:preview:Meeting:13", "Kulturausschuss"),
    ]
    assert meetings[0].start == datetime(2026, 2, 3, 17, 0, tzinfo=timezone.utc)  # local time, Europe/Berlin
    (rejected,) = [i for i in items if isinstance(i, Rejected)]
    assert rejected.ref == "urn:ris:preview:Meeting:12" and rejected.reason.startswith("Meeting 12: ")
    assert rejected.raw["titel"] == "Bauausschuss"
    codes = {i.code for i in items if isinstance(i, Notice)}
    assert codes == {"control-characters", "encoding-label"}
    assert isinstance(items[-1], Checkpoint) and items[-1].stream == "meetings"
    assert asked == {"von": "16.12.2025", "bis": "15.04.2026"}


def test_a_document_with_a_doctype_is_refused() -> None:
    hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><sitzungen><sitzung id="1"/></sitzungen>'
    with serve_bytes({"/export.xml": hostile}, "text/xml") as server, pytest.raises(UnsafeXml) as caught:
        preview(Sitzungen, {"url": server.url("/export.xml")})
    assert caught.value.url is not None and caught.value.url.startswith(server.url("/export.xml?von="))
