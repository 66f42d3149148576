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


def _rank(value: Any) -> tuple[bool, str]:
    return present(value), compact(value)


def merge_copies(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
    """Two copies of the same age as one: every field either holds, conflicts decided by text.

    Fields that are not content (provenance, ``modified``...) come from ``second`` where it has
    them. Every content field is the same for (a, b) and (b, a): a value that says something
    beats an empty one, and of two that differ the larger JSON text is kept.
    """
    out = dict(second)
    for key, value in first.items():
        if key not in out:
            out[key] = value
            continue
        if key not in NON_CONTENT_FIELDS and value != out[key] and _rank(value) > _rank(out[key]):
            out[key] = value
    return out
