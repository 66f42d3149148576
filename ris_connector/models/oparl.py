"""The twelve OParl 1.1 object types as normalized records.

Embedded objects are flattened: where OParl embeds a File, Location, AgendaItem, Consultation,
Membership or LegislativeTerm, the parent holds the child's id and the child is a record of
its own with a back-reference (``meeting``, ``paper``, ``person``, ``body``) and its order.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, Field

from ris_connector.models.base import Record
from ris_connector.urlsafe import URL, URL_LIST, URL_OR_TEXT


class System(Record):
    """What an OParl server says about itself: its name, operator, contact, licence, software.

    Kept so that the OParl output can pass these facts on. ``body`` (the Body list URL in OParl)
    is not kept: the store's Bodies name their System in ``Body.system``.
    """

    TYPE: ClassVar[str] = "System"
    URL_FIELDS: ClassVar[dict[str, str]] = {
        **Record.URL_FIELDS,
        "website": URL,
        "vendor": URL_OR_TEXT,
        "product": URL_OR_TEXT,
        "other_oparl_versions": URL_LIST,
    }
    type: Literal["System"] = "System"
    oparl_version: str | None = Field(None, description="The OParl version the server implements (schema URL).")
    other_oparl_versions: list[str] = Field(default_factory=list)
    contact_email: str | None = None
    contact_name: str | None = None
    website: str | None = None
    vendor: str | None = Field(None, description="The software vendor (a URL; some servers write text).")
    product: str | None = Field(None, description="The software product (a URL; some servers write text).")


class Body(Record):
    """A municipality, district or other corporate body with a council."""

    TYPE: ClassVar[str] = "Body"
    REFERENCES: ClassVar[tuple[str, ...]] = ("location", "legislative_term")
    URL_FIELDS: ClassVar[dict[str, str]] = {**Record.URL_FIELDS, "website": URL, "equivalent": URL_LIST}
    type: Literal["Body"] = "Body"
    system: str | None = None
    short_name: str | None = None
    website: str | None = None
    license_valid_since: AwareDatetime | None = None
    oparl_since: AwareDatetime | None = None
    ags: str | None = Field(None, description="Amtlicher Gemeindeschlüssel, 8 digits where known.")
    rgs: str | None = None
    equivalent: list[str] = Field(default_factory=list)
    contact_email: str | None = None
    contact_name: str | None = None
    classification: str | None = None
    location: str | None = None
    legislative_term: list[str] = Field(default_factory=list)


class LegislativeTerm(Record):
    """An electoral period."""

    TYPE: ClassVar[str] = "LegislativeTerm"
    REFERENCES: ClassVar[tuple[str, ...]] = ("body",)
    type: Literal["LegislativeTerm"] = "LegislativeTerm"
    start_date: dt.date | None = None
    end_date: dt.date | None = None


class Organization(Record):
    """A committee, faction, council or administrative unit."""

    TYPE: ClassVar[str] = "Organization"
    REFERENCES: ClassVar[tuple[str, ...]] = ("body", "sub_organization_of", "location", "external_body")
    URL_FIELDS: ClassVar[dict[str, str]] = {**Record.URL_FIELDS, "website": URL}
    type: Literal["Organization"] = "Organization"
    short_name: str | None = None
    membership: list[str] = Field(default_factory=list)
    post: list[str] = Field(default_factory=list)
    sub_organization_of: str | None = None
    organization_type: str | None = None
    classification: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    website: str | None = None
    location: str | None = None
    external_body: str | None = None


class Person(Record):
    """A council member or other person."""

    TYPE: ClassVar[str] = "Person"
    REFERENCES: ClassVar[tuple[str, ...]] = ("body", "location", "membership")
    type: Literal["Person"] = "Person"
    family_name: str | None = None
    given_name: str | None = None
    form_of_address: str | None = None
    affix: str | None = None
    title: list[str] = Field(default_factory=list)
    gender: str | None = None
    phone: list[str] = Field(default_factory=list)
    email: list[str] = Field(default_factory=list)
    location: str | None = None
    status: list[str] = Field(default_factory=list)
    membership: list[str] = Field(default_factory=list)
    life: str | None = None
    life_source: str | None = None


class Membership(Record):
    """A person's membership in an organization."""

    TYPE: ClassVar[str] = "Membership"
    REFERENCES: ClassVar[tuple[str, ...]] = ("person", "organization", "on_behalf_of")
    type: Literal["Membership"] = "Membership"
    person: str | None = None
    organization: str | None = None
    role: str | None = None
    voting_right: bool | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    on_behalf_of: str | None = None


class MeetingStatus(str, Enum):
    """Normalized state of a meeting."""

    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"
    HELD = "held"
    UNKNOWN = "unknown"


class Meeting(Record):
    """A council or committee session."""

    TYPE: ClassVar[str] = "Meeting"
    REFERENCES: ClassVar[tuple[str, ...]] = (
        "location",
        "organization",
        "participant",
        "invitation",
        "results_protocol",
        "verbatim_protocol",
        "auxiliary_file",
        "agenda_item",
    )
    type: Literal["Meeting"] = "Meeting"
    meeting_state: str | None = Field(None, description="The source's own state text.")
    cancelled: bool | None = None
    status: MeetingStatus = Field(
        MeetingStatus.UNKNOWN,
        description="Normalized state: structured fields first, then German text, then time.",
    )
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    location: str | None = None
    organization: list[str] = Field(default_factory=list)
    participant: list[str] = Field(default_factory=list)
    invitation: str | None = None
    results_protocol: str | None = None
    verbatim_protocol: str | None = None
    auxiliary_file: list[str] = Field(default_factory=list)
    agenda_item: list[str] = Field(default_factory=list)
    description: str | None = Field(
        None, description="Free text the source gives (an iCalendar DESCRIPTION); not an OParl 1.1 field."
    )


class AgendaItem(Record):
    """One item of a meeting's agenda."""

    TYPE: ClassVar[str] = "AgendaItem"
    REFERENCES: ClassVar[tuple[str, ...]] = ("meeting", "consultation", "resolution_file", "auxiliary_file")
    type: Literal["AgendaItem"] = "AgendaItem"
    meeting: str | None = None
    number: str | None = None
    order: int | None = Field(None, description="Position in the agenda; from the source or the embedding order.")
    public: bool | None = None
    consultation: str | None = None
    result: str | None = None
    resolution_text: str | None = None
    resolution_file: str | None = None
    auxiliary_file: list[str] = Field(default_factory=list)
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None


class Paper(Record):
    """A document put before the council: proposal, motion, inquiry, answer."""

    TYPE: ClassVar[str] = "Paper"
    REFERENCES: ClassVar[tuple[str, ...]] = (
        "body",
        "related_paper",
        "superordinated_paper",
        "subordinated_paper",
        "main_file",
        "auxiliary_file",
        "location",
        "originator_person",
        "under_direction_of",
        "originator_organization",
        "consultation",
    )
    type: Literal["Paper"] = "Paper"
    reference: str | None = None
    date: dt.date | None = None
    paper_type: str | None = None
    related_paper: list[str] = Field(default_factory=list)
    superordinated_paper: list[str] = Field(default_factory=list)
    subordinated_paper: list[str] = Field(default_factory=list)
    main_file: str | None = None
    auxiliary_file: list[str] = Field(default_factory=list)
    location: list[str] = Field(default_factory=list)
    originator_person: list[str] = Field(default_factory=list)
    under_direction_of: list[str] = Field(default_factory=list)
    originator_organization: list[str] = Field(default_factory=list)
    consultation: list[str] = Field(default_factory=list)


class Consultation(Record):
    """The consultation of a paper in a meeting."""

    TYPE: ClassVar[str] = "Consultation"
    REFERENCES: ClassVar[tuple[str, ...]] = ("paper", "agenda_item", "meeting", "organization")
    type: Literal["Consultation"] = "Consultation"
    paper: str | None = None
    agenda_item: str | None = None
    meeting: str | None = None
    organization: list[str] = Field(default_factory=list)
    authoritative: bool | None = None
    role: str | None = None


class File(Record):
    """A document file (PDF, ...) and where to get it."""

    TYPE: ClassVar[str] = "File"
    REFERENCES: ClassVar[tuple[str, ...]] = ("master_file", "derivative_file")
    URL_FIELDS: ClassVar[dict[str, str]] = {
        **Record.URL_FIELDS,
        "access_url": URL,
        "download_url": URL,
        "external_service_url": URL,
        "file_license": URL_OR_TEXT,
    }
    type: Literal["File"] = "File"
    file_name: str | None = None
    mime_type: str | None = None
    date: dt.date | None = None
    size: int | None = None
    sha1_checksum: str | None = None
    sha512_checksum: str | None = None
    text: str | None = None
    access_url: str | None = None
    download_url: str | None = None
    external_service_url: str | None = None
    master_file: str | None = None
    derivative_file: list[str] = Field(default_factory=list)
    file_license: str | None = None
    meeting: list[str] = Field(default_factory=list)
    agenda_item: list[str] = Field(default_factory=list)
    paper: list[str] = Field(default_factory=list)


class Location(Record):
    """A place: a meeting room, an address, an area a paper concerns."""

    TYPE: ClassVar[str] = "Location"
    type: Literal["Location"] = "Location"
    description: str | None = None
    geojson: dict[str, Any] | None = None
    street_address: str | None = None
    room: str | None = None
    postal_code: str | None = None
    sub_locality: str | None = None
    locality: str | None = None
    bodies: list[str] = Field(default_factory=list)
    organizations: list[str] = Field(default_factory=list)
    persons: list[str] = Field(default_factory=list)
    meetings: list[str] = Field(default_factory=list)
    papers: list[str] = Field(default_factory=list)
