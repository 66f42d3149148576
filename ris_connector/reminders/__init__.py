"""Reminders for the app to push: meetings and appointments starting within a lead time."""

from __future__ import annotations

from ris_connector.reminders.due import SENT_NAMESPACE, Reminder, Reminders
from ris_connector.reminders.wording import appointment_message, day_word, meeting_message

__all__ = ["SENT_NAMESPACE", "Reminder", "Reminders", "appointment_message", "day_word", "meeting_message"]
