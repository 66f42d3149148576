"""A non-OParl source for tests: a tiny Adapter whose records have ``urn:ris:`` ids, Meetings
without a Body, and an Appointment (which no output may publish).

``round`` (an adapter option) moves the source on: round 2 renames a meeting and deletes a
paper (tombstone), round 3 adds an organization.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from ris_connector.adapters.base import Adapter, AdapterOptions, Checkpoint, Item, Tombstone
from ris_connector.clock import Clock
from ris_connector.config import source_from_mapping
from ris_connector.models import (
    AgendaItem,
    Appointment,
    Consultation,
    File,
    LegislativeTerm,
    Location,
    Meeting,
    Membership,
    Organization,
    Paper,
    Person,
)
from ris_connector.normalize.status import meeting_status
from ris_connector.store import Store
from ris_connector.sync import RunReport
from ris_connector.sync.engine import SyncEngine

SOURCE = "kalender"


def urn(type_name: str, native: str) -> str:
    """The id this source gives a record."""
    return f"urn:ris:{SOURCE}:{type_name}:{native}"


APPOINTMENT_ID = urn("Appointment", "ap1")
APPOINTMENT_TEXT = "Personalausweis beantragen, Erika Mustermann"
MEETING_ID = urn("Meeting", "mt1")
CANCELLED_MEETING_ID = urn("Meeting", "mt2")
PAPER_ID = urn("Paper", "pa1")
NEW_ORG_ID = urn("Organization", "o2")


class UrnOptions(AdapterOptions):
    """Which state of the source to deliver."""

    round: int = 1


class UrnAdapter(Adapter):
    """Yields a small council calendar with urn ids (no HTTP)."""

    name = "testurn"
    Options = UrnOptions
    description = "test source with urn: ids"

    def fetch(self) -> Iterator[Item]:
        assert isinstance(self.options, UrnOptions)
        rnd = self.options.round
        now = self.ctx.clock.now()
        start = datetime(2031, 3, 5, 16, 0, tzinfo=timezone.utc)
        end = datetime(2031, 3, 5, 18, 30, tzinfo=timezone.utc)
        yield Location(
            id=urn("Location", "l1"),
            description="Rathaus, Sitzungssaal",
            street_address="Marktplatz 1",
            postal_code="99998",
            locality="Beispielheim",
            room="Sitzungssaal",
        )
        yield Location(id=urn("Location", "l2"), description="Bürgerbüro, Schalter 3")
        yield LegislativeTerm(id=urn("LegislativeTerm", "lt1"), name="Wahlperiode 2024-2029")
        yield Organization(
            id=urn("Organization", "o1"), name="Bauausschuss", short_name="BauA", classification="Ausschuss"
        )
        if rnd >= 3:
            yield Organization(id=NEW_ORG_ID, name="Jugendbeirat", classification="Beirat")
        yield Membership(
            id=urn("Membership", "m1"),
            person=urn("Person", "p1"),
            organization=urn("Organization", "o1"),
            role="Vorsitz",
        )
        yield Person(
            id=urn("Person", "p1"),
            name="Dr. Anna Beispiel",
            family_name="Beispiel",
            given_name="Anna",
            title=["Dr."],
            location=urn("Location", "l1"),
            membership=[urn("Membership", "m1")],
        )
        yield File(id=urn("File", "f1"), name="Einladung", access_url="https://kalender.example/f1.pdf")
        yield File(id=urn("File", "f2"), name="Niederschrift", download_url="https://kalender.example/f2.pdf")
        yield File(id=urn("File", "f3"), name="Lageplan", access_url="https://kalender.example/f3.pdf")
        yield File(id=urn("File", "f4"), name="Vorlage", access_url="https://kalender.example/f4.pdf")
        name = "Sitzung des Bauausschusses" if rnd < 2 else "Sondersitzung des Bauausschusses"
        yield Meeting(
            id=MEETING_ID,
            name=name,
            start=start,
            end=end,
            status=meeting_status(now=now, name=name, start=start, end=end, has_invitation=True, has_protocol=True),
            location=urn("Location", "l1"),
            organization=[urn("Organization", "o1")],
            participant=[urn("Person", "p1")],
            invitation=urn("File", "f1"),
            results_protocol=urn("File", "f2"),
            agenda_item=[urn("AgendaItem", "a1"), urn("AgendaItem", "a2")],
            keyword=["Bau"],
        )
        yield Meeting(
            id=CANCELLED_MEETING_ID,
            name="Sitzung des Bauausschusses (abgesagt)",
            cancelled=True,
            start=start.replace(month=4),
            status=meeting_status(now=now, cancelled=True, start=start.replace(month=4)),
            organization=[urn("Organization", "o1")],
        )
        yield AgendaItem(
            id=urn("AgendaItem", "a1"),
            meeting=MEETING_ID,
            number="1",
            name="Bebauungsplan Nord",
            public=True,
            consultation=urn("Consultation", "c1"),
        )
        yield AgendaItem(
            id=urn("AgendaItem", "a2"),
            meeting=MEETING_ID,
            number="2",
            name="Verschiedenes",
            auxiliary_file=[urn("File", "f3")],
        )
        if rnd < 2:
            yield Paper(
                id=PAPER_ID,
                name="Bebauungsplan Nord, Aufstellungsbeschluss",
                reference="2031/001",
                paper_type="Beschlussvorlage",
                main_file=urn("File", "f4"),
                consultation=[urn("Consultation", "c1")],
                originator_organization=[urn("Organization", "o1")],
            )
        else:
            yield Tombstone(PAPER_ID, "Paper")
        yield Consultation(
            id=urn("Consultation", "c1"),
            paper=PAPER_ID,
            agenda_item=urn("AgendaItem", "a1"),
            meeting=MEETING_ID,
            organization=[urn("Organization", "o1")],
            role="Entscheidung",
        )
        yield Appointment(
            id=APPOINTMENT_ID,
            name="Termin Bürgerbüro",
            description=APPOINTMENT_TEXT,
            start=start,
            location=urn("Location", "l2"),
            service="Personalausweis",
        )
        yield Checkpoint("all", {"round": rnd})


def sync_urn(store: Store, *, round: int = 1, clock: Clock | None = None, **kwargs: Any) -> RunReport:
    """Sync the test source into ``store``."""
    config = source_from_mapping({"name": SOURCE, "adapter": "testurn", "round": round})
    report = SyncEngine(config, store, clock=clock, adapter_cls=UrnAdapter).run(**kwargs)
    assert report.complete, report.errors
    return report
