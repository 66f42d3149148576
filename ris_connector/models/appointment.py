"""Appointments from booking systems and calendar feeds: not OParl, possibly personal data."""

from __future__ import annotations

from enum import Enum
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from ris_connector.models.base import Record


class AppointmentStatus(str, Enum):
    """Normalized state of an appointment."""

    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


class Appointment(Record):
    """A dated appointment or event. Never published by the OParl output."""

    TYPE: ClassVar[str] = "Appointment"
    REFERENCES: ClassVar[tuple[str, ...]] = ("location",)
    type: Literal["Appointment"] = "Appointment"
    description: str | None = None
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    all_day: bool = False
    status: AppointmentStatus = AppointmentStatus.UNKNOWN
    location: str | None = Field(None, description="Id of a Location record, if any.")
    location_text: str | None = Field(None, description="Free-text place as the source gives it.")
    organizer: str | None = Field(None, description="Office or service point that holds the appointment.")
    service: str | None = Field(None, description="What the appointment is for (Dienstleistung).")
    personal: bool = Field(True, description="Whether the record may hold personal data.")
