"""German reminder texts: "Ausschuss für Umwelt morgen 17 Uhr", in Europe/Berlin local time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
_WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


def clock_time(when: datetime) -> str:
    """'17 Uhr' or '17:30 Uhr' (local time)."""
    local = when.astimezone(BERLIN)
    return f"{local.hour} Uhr" if local.minute == 0 else f"{local.hour}:{local.minute:02d} Uhr"


def day_word(when: datetime, now: datetime) -> str:
    """'heute', 'morgen', 'übermorgen', 'am Freitag' (within a week) or 'am 12.03.' - by local dates."""
    day, today = when.astimezone(BERLIN).date(), now.astimezone(BERLIN).date()
    delta = (day - today).days
    if delta == 0:
        return "heute"
    if delta == 1:
        return "morgen"
    if delta == 2:
        return "übermorgen"
    if 2 < delta < 7:
        return f"am {_WEEKDAYS[day.weekday()]}"
    return f"am {day:%d.%m.}"


def meeting_message(title: str, when: datetime, now: datetime) -> str:
    """'Ausschuss für Umwelt morgen 17 Uhr'."""
    return f"{title} {day_word(when, now)} {clock_time(when)}"


def appointment_message(when: datetime, now: datetime, *, all_day: bool = False) -> str:
    """'Ihr Termin morgen 10:30 Uhr' - no names, no subject: appointments may be personal."""
    if all_day:
        return f"Ihr Termin {day_word(when, now)}"
    return f"Ihr Termin {day_word(when, now)} {clock_time(when)}"
