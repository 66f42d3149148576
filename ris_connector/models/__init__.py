"""Normalized record types: the OParl 1.1 object model (System included) plus Appointment."""

from __future__ import annotations

from ris_connector.models.appointment import Appointment, AppointmentStatus
from ris_connector.models.base import NON_CONTENT_FIELDS, Model, Provenance, Record
from ris_connector.models.oparl import (
    AgendaItem,
    Body,
    Consultation,
    File,
    LegislativeTerm,
    Location,
    Meeting,
    MeetingStatus,
    Membership,
    Organization,
    Paper,
    Person,
    System,
)

#: Short type name -> record class, in dependency order.
RECORD_TYPES: dict[str, type[Record]] = {
    cls.TYPE: cls
    for cls in (
        System,
        Body,
        LegislativeTerm,
        Organization,
        Person,
        Membership,
        Location,
        Meeting,
        AgendaItem,
        Paper,
        Consultation,
        File,
        Appointment,
    )
}

__all__ = [
    "NON_CONTENT_FIELDS",
    "RECORD_TYPES",
    "AgendaItem",
    "Appointment",
    "AppointmentStatus",
    "Body",
    "Consultation",
    "File",
    "LegislativeTerm",
    "Location",
    "Meeting",
    "MeetingStatus",
    "Membership",
    "Model",
    "Organization",
    "Paper",
    "Person",
    "Provenance",
    "Record",
    "System",
]
