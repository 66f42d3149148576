"""Several copies of one object in one run: which the store keeps.

OParl servers embed an object in its parents and list it too; the copies need not agree (a
Somacos Paper embeds a Consultation modified 2021-07-22 with ``agendaItem`` and ``meeting``,
while the consultations list carries a copy of 2021-04-29 without them). The engine keeps the
copy with the latest ``modified`` whatever the order; copies of the same age (or of unknown age)
are merged: a field either copy holds survives, and where both hold different values the one
with the larger JSON text is kept, so that the result does not depend on the order either.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ris_connector.jsontext import compact
from ris_connector.models import NON_CONTENT_FIELDS


def modified_of(data: Mapping[str, Any]) -> datetime | None:
    """The ``modified`` time of record JSON data, None when absent or unreadable."""
    value = data.get("modified")
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def age_order(a: datetime | None, b: datetime | None) -> int:
    """-1 if ``a`` is older than ``b``, 1 if newer, 0 if equal or either is unknown."""
    if a is None or b is None or a == b:
        return 0
    return -1 if a < b else 1


def present(value: Any) -> bool:
    """Whether a JSON value says something (``None``, ``""``, ``[]`` and ``{}`` do not)."""
    return value is not None and value != "" and value != [] and value != {}


def merge_copies(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
    """Two copies of the same age as one: every field either holds, conflicts decided by text.

    Fields that are not content (provenance, ``modified``...) come from ``second`` where it has
    them. The result is the same for (a, b) and (b, a) in every content field.
    """
    out = dict(second)
    for key, value in first.items():
        other = out.get(key)
        if key in NON_CONTENT_FIELDS:
            if other is None:
                out[key] = value
            continue
        if not present(value) or value == other:
            continue
        if not present(other) or compact(value) > compact(other):
            out[key] = value
    return out


def lacks_fields(copy: Mapping[str, Any], stored: Mapping[str, Any]) -> bool:
    """Whether ``stored`` holds a content field that ``copy`` leaves empty."""
    return any(
        key not in NON_CONTENT_FIELDS and present(value) and not present(copy.get(key)) for key, value in stored.items()
    )
