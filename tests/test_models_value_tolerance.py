"""A bad value costs the value, not the record: the core's validation every adapter uses.

:func:`validate_record` (and :func:`record_items`, the form plugins use) drop a value the model
refuses and validate again; only the identity, a field the model requires or one the caller
names quarantine. The property test spoils one field of every record type with every value
hypothesis finds.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ris_connector import Notice, Rejected, models
from ris_connector.models import RECORD_TYPES, Record
from ris_connector.normalize import record_items, validate_record
from tests.support.spoil import json_spoilers

NOW = datetime(2026, 1, 15, 11, 0, tzinfo=timezone.utc)


def test_a_bad_optional_value_is_dropped_and_named() -> None:
    data = {
        "id": "urn:ris:x:Meeting:1",
        "name": "Rat",
        "start": "kein Datum",
        "end": datetime(1, 1, 1, tzinfo=timezone.utc),
        "agenda_item": ["urn:a", 5, {"x": 1}, "urn:b"],
        "cancelled": "vielleicht",
    }
    record, dropped = validate_record(models.Meeting, data)
    assert (record.name, record.start, record.end, record.cancelled) == ("Rat", None, None, None)
    assert record.agenda_item == ["urn:a", "urn:b"]  # only the failing elements go
    assert sorted(d.field for d in dropped) == ["agenda_item[1]", "agenda_item[2]", "cancelled", "end", "start"]
    assert "year 1 is outside the years 1000-9000" in str(next(d for d in dropped if d.field == "end"))
    assert "'kein Datum'" in str(next(d for d in dropped if d.field == "start"))


def test_identity_and_required_fields_still_quarantine() -> None:
    with pytest.raises(ValidationError):
        validate_record(models.Meeting, {"id": 5})
    with pytest.raises(ValidationError):
        validate_record(models.Meeting, {"id": "urn:x", "type": "Paper"})
    with pytest.raises(ValidationError):
        validate_record(models.Meeting, {"id": "urn:x", "start": "nie"}, required={"start"})


def test_record_items_for_plugins() -> None:
    raw = {"nr": 7, "beginn": "gestern"}
    items = record_items(models.Appointment, {"id": "urn:ris:z:Appointment:7", "start": "gestern"}, raw=raw)
    notice, record = items
    assert isinstance(notice, Notice) and notice.code == "invalid-value"
    assert notice.message.startswith("Appointment urn:ris:z:Appointment:7: start: ")
    assert isinstance(record, models.Appointment) and record.start is None
    (rejected,) = record_items(models.Appointment, {"id": None}, raw=raw)
    assert isinstance(rejected, Rejected) and rejected.raw == raw and rejected.type == "Appointment"
    assert rejected.reason.startswith("id: ")


#: Fields no record exists without, and the bookkeeping fields an adapter sets itself.
FIXED = {"id", "type", "provenance", "raw"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    type_name=st.sampled_from(sorted(RECORD_TYPES)),
    data=st.data(),
    value=json_spoilers,
    by_name=st.booleans(),
)
def test_any_value_in_any_optional_field_costs_at_most_that_field(
    type_name: str, data: st.DataObject, value: Any, by_name: bool
) -> None:
    cls = RECORD_TYPES[type_name]
    fields = sorted(set(cls.model_fields) - FIXED)
    field = data.draw(st.sampled_from(fields), label="field")
    key = field if by_name else (cls.model_fields[field].alias or field)
    base: dict[str, Any] = {"id": f"urn:ris:p:{type_name}:1", "name": "Bestand"}
    if type_name != "Location" and "name" in cls.model_fields:
        base["keyword"] = ["bleibt"]
    record, dropped = validate_record(cls, {**base, key: value}, by_name=by_name)
    assert isinstance(record, Record) and record.id == base["id"] and record.type == type_name
    assert all(d.field.split("[")[0] == key for d in dropped), dropped
    if field != "name":
        assert record.name == "Bestand"
    record.content_hash()  # storable


@pytest.mark.parametrize("type_name", sorted(RECORD_TYPES))
def test_every_date_field_is_checked_for_a_plausible_year(type_name: str) -> None:
    """The year check reads only the fields that may hold a date: each field the JSON schema
    calls a date or date-time is among them, and a year 900 in it is dropped with a notice."""
    cls = RECORD_TYPES[type_name]
    schema = cls.model_json_schema(by_alias=False)["properties"]

    def formats(prop: dict[str, Any]) -> set[str]:
        return {prop.get("format", "")} | {f for alt in prop.get("anyOf", []) for f in formats(alt)}

    date_fields = [n for n, p in schema.items() if formats(p) & {"date", "date-time"}]
    assert {"created", "modified"} <= set(date_fields)
    base: dict[str, Any] = {"id": "https://ris.example.org/oparl/x/1", "type": type_name}
    for name in date_fields:
        value = "0900-01-02" if "date-time" not in formats(schema[name]) else "0900-01-02T10:00:00+01:00"
        data = {**base, name: value}
        for required, field in cls.model_fields.items():
            if field.is_required() and required not in data:
                data[required] = "https://ris.example.org/oparl/r/1"
        record, dropped = validate_record(cls, data, by_name=True)
        assert getattr(record, name) is None, name
        assert [d.field for d in dropped] == [name]
