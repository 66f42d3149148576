"""The normalized model: JSON names, aware datetimes, content hash, and the schema files."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from ris_connector.cli import main
from ris_connector.models import RECORD_TYPES, Meeting, Paper
from ris_connector.schema import render_schemas

ROOT = Path(__file__).resolve().parents[1]


def test_thirteen_record_types() -> None:
    assert set(RECORD_TYPES) == {
        "System", "Body", "LegislativeTerm", "Organization", "Person", "Membership", "Meeting",
        "AgendaItem", "Paper", "Consultation", "File", "Location", "Appointment",
    }  # fmt: skip


def test_camel_case_json_snake_case_python() -> None:
    paper = Paper(id="https://x.example/paper/1", paper_type="Antrag", main_file="https://x.example/file/1")
    data = paper.to_json_dict()
    assert data["paperType"] == "Antrag" and data["mainFile"] == "https://x.example/file/1"
    assert Paper.model_validate(data).paper_type == "Antrag"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValidationError):
        Meeting(id="https://x.example/m/1", start=datetime(2024, 1, 1, 10, 0))


def test_hash_ignores_stamps_but_not_content() -> None:
    t = datetime(2024, 1, 1, tzinfo=timezone.utc)
    a = Meeting(id="https://x.example/m/1", name="Rat", modified=t)
    b = Meeting(id="https://x.example/m/1", name="Rat", modified=t + timedelta(days=3))
    c = Meeting(id="https://x.example/m/1", name="Rat (neu)", modified=t)
    assert a.content_hash() == b.content_hash() != c.content_hash()


def test_schemas_dir_is_current() -> None:
    """Fails when a model changed without ``ris-connector schema --out schemas/``."""
    rendered = render_schemas()
    on_disk = {p.name: p.read_text("utf-8") for p in (ROOT / "schemas").glob("*.json")}
    assert on_disk == rendered, "schemas/ is stale: run `ris-connector schema --out schemas/`"
    assert main(["schema", "--out", str(ROOT / "schemas"), "--check"]) == 0


def test_schema_check_detects_staleness(tmp_path: Path) -> None:
    assert main(["schema", "--out", str(tmp_path)]) == 0
    (tmp_path / "Meeting.json").write_text("{}", encoding="utf-8")
    assert main(["schema", "--out", str(tmp_path), "--check"]) == 3


def test_exported_record_validates_against_schema_file() -> None:
    schema = render_schemas()["Meeting.json"]
    import json

    meeting = Meeting(
        id="https://x.example/m/1",
        name="Rat",
        start=datetime(2024, 3, 5, 17, 0, tzinfo=timezone(timedelta(hours=1))),
        agenda_item=["https://x.example/ai/1"],
    )
    jsonschema.validate(meeting.to_json_dict(), json.loads(schema))
