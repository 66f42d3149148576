"""What the sync engine checks on every record it admits, whichever adapter built it.

Built-in adapters and plugins alike hand their records to the engine; this is the one place
where a record's URL fields are made safe to republish (``ris_connector.urlsafe``: only
http(s) URLs) before anything is stored. The models already drop unsafe values when a record
is validated and note them in ``url_notes``; values assigned after validation (or records made
with ``model_construct``) are checked here once more. Each dropped or repaired value becomes a
counted :class:`Notice` naming the record and the field.
"""

from __future__ import annotations

from ris_connector.items import Notice
from ris_connector.models import Record
from ris_connector.notices.values import UNSAFE_URL
from ris_connector.urlsafe import clean_fields

_SHOWN = 80


def admit(record: Record) -> list[Notice]:
    """Make ``record``'s URL fields safe in place; the notices for what was dropped or repaired."""
    values = record.__dict__
    notes = [*(values.get("url_notes") or ()), *clean_fields(values, record.URL_FIELDS)]
    if not notes:
        return []
    values["url_notes"] = None
    fields = type(record).model_fields
    out: list[Notice] = []
    for code, name, value in notes:
        field = fields[name].alias or name if name in fields else name
        shown = repr(value[:_SHOWN])  # repr: control and bidi characters escaped
        if code == UNSAFE_URL:
            message = f"{record.type} {record.id}: {field} {shown} is not an http(s) URL; dropped"
        else:
            message = f"{record.type} {record.id}: {field} {shown} repaired (whitespace)"
        out.append(Notice(code, message))
    return out
