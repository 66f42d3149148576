"""Content hashes stay what earlier versions stored, whichever JSON writer produces the text.

Stores written before orjson was used hold hashes of ``json.dumps(sort_keys=True,
separators=(",", ":"), ensure_ascii=False)``; a different text would report every record as
updated on the next run.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from typing import Any

from ris_connector.jsontext import canonical, compact
from ris_connector.models import File, Location, Meeting, Paper, Provenance, Record


def reference_hash(record: Record) -> str:
    """The content hash as ris-connector computed it with the standard library alone."""
    data = record.to_json_dict()
    content = {k: v for k, v in data.items() if k not in {"provenance", "raw", "created", "modified"}}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


ODD_TEXT = 'Ä ö ß € 𝄞 "quoted" back\\slash tab\t newline\n \x01 \x1f \x7f \u2028 </script>'
RECORDS: list[Record] = [
    Meeting(id="https://x.example/m/1", name="Rat", start=datetime(2024, 1, 1, 9, tzinfo=timezone.utc)),
    Paper(
        id="https://x.example/p/1",
        name=ODD_TEXT,
        reference="2024/0815",
        date=date(2024, 2, 29),
        keyword=["Straße", "Ärger", ""],
        consultation=["https://x.example/c/1", "https://x.example/c/2"],
        provenance=Provenance(source="s", adapter="oparl", fetched_at=datetime(2024, 3, 1, tzinfo=timezone.utc)),
        raw={"float": 1e-7, "big": 2**70},
    ),
    File(id="https://x.example/f/1", name="Anlage", size=2**62, file_name="Übersicht.pdf"),
    File(id="https://x.example/f/2", size=2**70),  # beyond 64 bits: orjson refuses, json.dumps writes it
    Location(
        id="https://x.example/l/1",
        description="Rathaus",
        geojson={"type": "Point", "coordinates": [1e-5, 52.0], "properties": {"z": 1e16, "a": -0.0}},
    ),
]


def test_content_hashes_equal_the_standard_library_text() -> None:
    for record in RECORDS:
        assert record.content_hash() == reference_hash(record), record.id


def test_canonical_text_is_byte_identical_to_json_dumps() -> None:
    samples: list[dict[str, Any]] = [
        {"b": 1, "a": [True, False, None], "name": ODD_TEXT, "n": -(2**63)},
        {"geo": {"c": [1e16, 1e-5, 0.1], "b": 1}, "x": "y"},
        {"f": 2.5e-8},
        {"huge": 2**64},
        {"chars": "".join(chr(c) for c in range(0x20)) + "".join(chr(c) for c in range(0xE000, 0xE100))},
    ]
    for sample in samples:
        expected = json.dumps(sample, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        assert canonical(sample) == expected


def test_compact_text_reads_back_unchanged() -> None:
    for record in RECORDS:
        data = record.to_json_dict()
        assert json.loads(compact(data)) == data


def test_record_lists_hold_no_floats() -> None:
    """``canonical`` looks for floats at the top of a record only: lists must hold no numbers or objects."""
    import types
    import typing

    from ris_connector.models import RECORD_TYPES

    def list_items(annotation: Any) -> list[Any]:
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            return [t for arg in typing.get_args(annotation) for t in list_items(arg)]
        if origin is list:
            return list(typing.get_args(annotation))
        return []

    checked = 0
    for cls in RECORD_TYPES.values():
        for name, info in cls.model_fields.items():
            for item in list_items(info.annotation):
                assert item is str, f"{cls.__name__}.{name} is a list of {item}: see ris_connector/jsontext.py"
                checked += 1
    assert checked > 20  # keyword, membership, auxiliaryFile, ... were all looked at
