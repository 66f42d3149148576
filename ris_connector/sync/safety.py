"""What the sync engine checks on every record it admits, whichever adapter built it.

Built-in adapters and plugins alike hand their records to the engine; this is the one place
where a record's URL fields are made safe to republish (``ris_connector.urlsafe``: only
http(s) URLs) before anything is stored. The models already drop unsafe values when a record
is validated and note them in ``url_notes``; values assigned after validation (or records made
with ``model_construct``) are checked here once more. Each dropped or repaired value becomes a
counted notice naming the record and the field (the engine writes its text only where the report
keeps it).
"""

from __future__ import annotations

from ris_connector.models import Record
from ris_connector.notices.values import UNSAFE_URL
from ris_connector.urlsafe import clean_fields

_SHOWN = 80


def admit(record: Record) -> list[tuple[str, str, str]]:
    """Make ``record``'s URL fields safe in place; (code, field, value) of each value dropped
    or repaired, those noted when the record was validated first."""
    values = record.__dict__
    notes = [*(values.get("url_notes") or ()), *clean_fields(values, record.URL_FIELDS)]
    if notes:
        values["url_notes"] = None
    return notes


def note_message(record: Record, code: str, name: str, value: str) -> str:
    """The notice text for one of :func:`admit`: the record, the field's JSON name, the value."""
    fields = type(record).model_fields
    field = fields[name].alias or name if name in fields else name
    shown = repr(value[:_SHOWN])  # repr: control and bidi characters escaped
    if code == UNSAFE_URL:
        return f"{record.type} {record.id}: {field} {shown} is not an http(s) URL; dropped"
    return f"{record.type} {record.id}: {field} {shown} repaired (whitespace)"
