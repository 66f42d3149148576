"""Meeting status: structured fields first, then German text, then the clock."""

from __future__ import annotations

import re
from datetime import datetime

from ris_connector.models import MeetingStatus

_CANCELLED = re.compile(
    r"\b(abgesagt|absage|entf[äa]llt|entfallen|f[äa]llt\s+aus|ausgefallen|storniert|aufgehoben|cancel+ed"
    r"|findet\s+nicht\s+statt)\b",
    re.IGNORECASE,
)
#: A remark beside the meeting (a calendar event's description) states a cancellation only when
#: it says the meeting itself does not take place: "findet die Sitzung ... nicht statt",
#: "Die Sitzung ... entfällt". A bare "entfällt" there may be one agenda item's.
_MEETING = r"\w*(?:sitzung|termin|veranstaltung|versammlung)"
_SAME_SENTENCE = r"(?:[^.!?\n]|(?<=\d)\.)"  # a period after a digit (12.03., 3. Sitzung) ends no sentence
_REMARK_CANCELLED = re.compile(
    rf"\b{_MEETING}\b{_SAME_SENTENCE}{{0,120}}?\b(?:abgesagt|entf[äa]llt|f[äa]llt\s+aus|ausgefallen|nicht\s+statt(?:finden)?)\b"
    rf"|\bfindet\b{_SAME_SENTENCE}{{0,120}}?\b{_MEETING}\b{_SAME_SENTENCE}{{0,120}}?\bnicht\s+statt\b",
    re.IGNORECASE,
)
_POSTPONED = re.compile(r"\b(verschoben|vertagt|verlegt\s+auf|neuer\s+termin|postponed)\b", re.IGNORECASE)
_HELD = re.compile(
    r"\b(durchgef[üu]hrt|stattgefunden|beendet|abgeschlossen|geschlossen|protokolliert|erledigt)\b",
    re.IGNORECASE,
)
_CONFIRMED = re.compile(r"\b(eingeladen|einberufen|einladung\s+versandt|best[äa]tigt|freigegeben)\b", re.IGNORECASE)
_SCHEDULED = re.compile(r"\b(geplant|terminiert|vorgesehen|in\s+planung|scheduled)\b", re.IGNORECASE)

_STATED = (
    (_CANCELLED, MeetingStatus.CANCELLED),
    (_POSTPONED, MeetingStatus.POSTPONED),
    (_HELD, MeetingStatus.HELD),
    (_CONFIRMED, MeetingStatus.CONFIRMED),
    (_SCHEDULED, MeetingStatus.SCHEDULED),
)
#: Any of the words above (patterns are lower case; searched in lower-cased text, which is
#: cheaper than IGNORECASE): most names state no status, and one search tells.
_ANY_STATED = re.compile("|".join(pattern.pattern for pattern, _ in _STATED))


def status_from_text(text: str | None) -> MeetingStatus | None:
    """The status a German state text or meeting name states outright, if any."""
    if not text or not _ANY_STATED.search(text.lower()):
        return None
    for pattern, status in _STATED:
        if pattern.search(text):
            return status
    return None


def remark_cancels(text: str | None) -> bool:
    """Whether a free-text remark beside a meeting says that the meeting does not take place."""
    return bool(text) and _REMARK_CANCELLED.search(text or "") is not None


def meeting_status(
    *,
    now: datetime,
    cancelled: bool | None = None,
    meeting_state: str | None = None,
    name: str | None = None,
    remark: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    has_invitation: bool = False,
    has_protocol: bool = False,
) -> MeetingStatus:
    """Derive the normalized status of a meeting (``remark``: a free text beside it, such as a
    calendar description, which counts only when it cancels the meeting outright)."""
    if cancelled or remark_cancels(remark):
        return MeetingStatus.CANCELLED
    for text in (meeting_state, name):
        stated = status_from_text(text)
        if stated is not None and (stated is not MeetingStatus.SCHEDULED or text is meeting_state):
            return stated
    if has_protocol:
        return MeetingStatus.HELD
    if start is None:
        return MeetingStatus.UNKNOWN
    if (end or start) <= now:
        return MeetingStatus.HELD
    return MeetingStatus.CONFIRMED if has_invitation else MeetingStatus.SCHEDULED
