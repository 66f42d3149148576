"""The adapter API's sync helpers: options typed by the type argument, ``ctx.since``,
``Checkpoint.watermark`` and ``quarantine``, written once for every adapter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from ris_connector import models
from ris_connector.adapters.base import SourceSettings, describe_error, read_watermark
from ris_connector.adapters.registry import load_adapter
from ris_connector.adapters.sdk import (
    Adapter,
    AdapterContext,
    AdapterOptions,
    Checkpoint,
    Item,
    Rejected,
    quarantine,
)
from ris_connector.clock import FixedClock
from ris_connector.errors import DataError, InvalidPayload
from ris_connector.http import HttpClient

NOW = datetime(2026, 1, 15, 11, 0, tzinfo=timezone.utc)


class Opts(AdapterOptions):
    lists: list[str] = ["a"]


class Typed(Adapter[Opts]):
    """Reads nothing, typed."""

    name = "typed"

    def fetch(self) -> Iterator[Item]:
        yield Checkpoint.watermark("s", self.ctx.clock.now(), lists=len(self.options.lists))


class _State:
    def __init__(self, states: dict[str, Any]) -> None:
        self.states = states

    def stream_state(self, stream: str) -> Any:
        return self.states.get(stream)

    def known_ids(self, ids: Any) -> set[str]:
        return set()


def _ctx(full: bool, states: dict[str, Any], overlap: float = 600) -> AdapterContext:
    http = HttpClient("http://127.0.0.1/")
    return AdapterContext(SourceSettings("t"), http, FixedClock(NOW), _State(states), full=full, overlap=overlap)


def test_the_type_argument_is_the_options_class() -> None:
    assert Typed.Options is Opts
    options = Typed.parse_options({"lists": ["a", "b"]})
    adapter = Typed(_ctx(True, {}), options)
    assert list(adapter.fetch()) == [Checkpoint("s", {"watermark": NOW.isoformat(), "lists": 2})]
    assert Typed.describe() == "Reads nothing, typed."
    assert load_adapter("oparl").Options.__name__ == "OParlOptions"  # the built-ins too


def test_since_is_the_watermark_minus_the_overlap_on_incremental_runs_only() -> None:
    states = {
        "s": {"watermark": "2026-01-15T10:00:00+00:00"},
        "bad": {"watermark": "gestern"},
        "naive": {"watermark": "2026-01-15T10:00:00"},
    }
    assert _ctx(False, states).since("s") == datetime(2026, 1, 15, 9, 50, tzinfo=timezone.utc)
    assert _ctx(True, states).since("s") is None  # a full run reads whole
    assert _ctx(False, states).since("never") is None
    assert _ctx(False, states).since("bad") is None  # unreadable: read the stream whole
    assert _ctx(False, states).since("naive") is None
    assert read_watermark({"watermark": "2026-01-15T10:00:00+01:00"}) == datetime(2026, 1, 15, 9, tzinfo=timezone.utc)


def test_quarantine_turns_a_data_error_of_one_item_into_a_rejected() -> None:
    record = models.Appointment(id="urn:ris:t:Appointment:1")
    assert quarantine({"id": 1}, lambda: record) == [record]
    assert quarantine({"id": 1}, lambda: None) == []
    assert quarantine({"id": 1}, lambda: [record, record]) == [record, record]

    def bad() -> Any:
        return models.Appointment(id="urn:ris:t:Appointment:2", start="2026-13-01")

    raw = {"id": 2, "start": "2026-13-01"}
    (rejected,) = quarantine(raw, bad, type_name="Appointment", ref="r2", what="Appointment 2")
    assert isinstance(rejected, Rejected) and rejected.ref == "r2" and rejected.type == "Appointment"
    assert rejected.reason.startswith("Appointment 2: start: ") and "'2026-13-01'" in rejected.reason
    personal = quarantine({"id": 2}, bad, personal=True)[0]
    assert isinstance(personal, Rejected) and personal.reason == "invalid value in start"
    data_error = quarantine({}, lambda: (_ for _ in ()).throw(DataError("no DTSTART")))[0]
    assert isinstance(data_error, Rejected) and data_error.reason == "no DTSTART"


def test_quarantine_lets_run_errors_and_bugs_through() -> None:
    def source_fault() -> Any:
        raise InvalidPayload("not JSON")

    def bug() -> Any:
        raise NameError("typo")

    with pytest.raises(InvalidPayload):
        quarantine({}, source_fault)
    with pytest.raises(NameError):
        quarantine({}, bug)
    with pytest.raises(InvalidPayload):  # even with a catch-all list of errors
        quarantine({}, source_fault, errors=(Exception,))
    assert isinstance(quarantine({}, bug, errors=(Exception,))[0], Rejected)


def test_describe_error_hides_values_of_personal_data() -> None:
    with pytest.raises(ValidationError) as caught:
        models.Appointment(id="x", start="Mustermann")
    assert "Mustermann" in describe_error(caught.value)
    assert "Mustermann" not in describe_error(caught.value, personal=True)
    assert describe_error(ValueError("invalid literal for int(): 'Erika'"), personal=True) == "ValueError"
