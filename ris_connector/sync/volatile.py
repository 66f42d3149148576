"""Volatile text: parts of a record that change on every download without saying anything new.

An ALLRIS calendar feed writes "Exportiert am 21.01.2026" into each event's description, a
servlet front end puts ``;jsessionid=...`` into every link: compared as received, every run
would announce an update. The built-in rules below (documented in ``docs/changes.md``) and a
source's own ``ignore_changes`` patterns name such text. The engine compares and hashes string
values with every match removed; the record is stored as received. A value without a match is
left exactly as it is, so content without volatile text hashes as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_DATE = r"\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}"
_TIME = r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s*Uhr)?"


@dataclass(frozen=True)
class VolatileRule:
    """One built-in rule: every match of ``pattern`` in a string value is volatile."""

    code: str
    pattern: str
    where: str
    """The vendor or kind of source where the text was seen."""
    reason: str
    example: str
    """A text the rule matches (documentation, and checked by the tests)."""


#: The built-in vendor rule table. Each pattern matches only the volatile text itself; the
#: session rules keep the parameter name (``;jsessionid=``) and match its value.
BUILTIN_RULES: tuple[VolatileRule, ...] = (
    VolatileRule(
        code="export-stamp",
        pattern=rf"(?i:Exportiert am:?\s*{_DATE}(?:,?\s*(?:um\s*)?{_TIME})?)",
        where="CC e-gov ALLRIS calendar feeds (iCalendar DESCRIPTION)",
        reason="the date the feed was generated: new on every download, the event is the same",
        example="Tagesordnung im Ratsinformationssystem.\nExportiert am 21.01.2026",
    ),
    VolatileRule(
        code="request-time",
        pattern=rf"(?i:(?:Abgerufen|Abruf|Abfrage|Generiert|Erzeugt)\s+(?:am|vom)\s*:?\s*{_DATE},?\s*(?:um\s*)?{_TIME})",
        where="export and print views that stamp the time of the request",
        reason="the moment the server answered, not a property of the object",
        example="Abgerufen am 21.01.2026 um 10:15 Uhr",
    ),
    VolatileRule(
        code="jsessionid",
        pattern=r"(?i:(?<=;jsessionid=))[A-Za-z0-9._~!$'()*+,-]+",
        where="Java servlet front ends that rewrite links when the client keeps no cookie",
        reason="a session token of the crawl, different on every run",
        example="https://ris.example.de/bi/vo020;jsessionid=0A1B2C3D4E5F60718293A4B5C6D7E8F9?VOLFDNR=4711",
    ),
    VolatileRule(
        code="phpsessid",
        pattern=r"(?i:(?<=PHPSESSID=))[A-Za-z0-9,-]+",
        where="PHP front ends with transparent session ids (session.use_trans_sid)",
        reason="a session token of the crawl, different on every run",
        example="https://ris.example.de/si0057.php?__ksinr=12&PHPSESSID=9d8c7b6a5f4e3d2c1b0a9f8e7d",
    ),
    VolatileRule(
        code="sid-query",
        pattern=r"(?<=[?&;](?:sid|SID)=)[A-Za-z0-9,-]{16,}",
        where="web front ends that pass the session as a sid=/SID= query value",
        reason="a session token of the crawl; only values of 16 or more characters, so that a short "
        "numeric sid (a meeting number in some systems) still counts",
        example="https://ris.example.de/termine.php?id=815&sid=a1b2c3d4e5f6a7b8c9d0",
    ),
    VolatileRule(
        code="aspnet-session",
        pattern=r"\((?:[A-Z]\([A-Za-z0-9_-]*\))*S\([a-z0-9]{24}\)(?:[A-Z]\([A-Za-z0-9_-]*\))*\)",
        where="ASP.NET front ends with cookieless session state",
        reason="the session id is written into the path of every link",
        example="https://ris.example.de/(S(lit3py55t21z5v55vlm25s55))/sitzung.aspx?id=3",
    ),
)


class VolatileText:
    """The compiled rules of one source: built-in rules plus its ``ignore_changes`` patterns."""

    def __init__(self, patterns: Iterable[str] = (), *, builtin: bool = True) -> None:
        rules = [r.pattern for r in BUILTIN_RULES] if builtin else []
        self._builtin = re.compile("|".join(f"(?:{p})" for p in rules)) if rules else None
        # A source's patterns may carry global flags such as (?i): each is compiled on its own.
        self._extra = [re.compile(p) for p in patterns]

    def clean(self, text: str) -> str:
        """``text`` with every volatile match removed (the same object when nothing matched)."""
        if self._builtin is not None and self._builtin.search(text) is not None:
            text = self._builtin.sub("", text)
        for rx in self._extra:
            if rx.search(text) is not None:
                text = rx.sub("", text)
        return text

    def value(self, value: Any) -> Any:
        """A JSON value with volatile text removed from every string in it (identity if none)."""
        if type(value) is str:
            return self.clean(value)
        if isinstance(value, list):
            cleaned = [self.value(v) for v in value]
            return value if all(a is b for a, b in zip(cleaned, value, strict=True)) else cleaned
        if isinstance(value, dict):
            return self.content(value) or value
        return value

    def content(self, content: Mapping[str, Any]) -> dict[str, Any] | None:
        """A copy of ``content`` with volatile text removed, or None when nothing matched."""
        out: dict[str, Any] | None = None
        for key, value in content.items():
            cleaned = self.value(value)
            if cleaned is not value:
                if out is None:
                    out = dict(content)
                out[key] = cleaned
        return out
