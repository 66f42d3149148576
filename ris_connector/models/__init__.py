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

#: JSON name -> kind (``ris_connector.urlsafe``) of every URL field of any record type: what the
#: outputs check again before they publish stored data.
URL_JSON_FIELDS: dict[str, str] = {
    (cls.model_fields[name].alias or name): kind
    for cls in RECORD_TYPES.values()
    for name, kind in cls.URL_FIELDS.items()
}

__all__ = [
    "NON_CONTENT_FIELDS",
    "RECORD_TYPES",
    "URL_JSON_FIELDS",
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
