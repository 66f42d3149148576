"""The built-in iCalendar adapter: RIS meeting calendars and booking-system feeds."""

from ris_connector.adapters.ics.adapter import IcsAdapter, IcsOptions

__all__ = ["IcsAdapter", "IcsOptions"]
