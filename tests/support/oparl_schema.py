"""Validating JSON against the OParl 1.1 JSON Schema (draft-07) in tests/fixtures/oparl-spec/."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "oparl-spec" / "json-schema-draft-7" / "schema"
BASE = "https://schema.oparl.org/1.1/"
#: What a deleted object keeps (OParl 1.1, "Gelöschte Objekte"): id, type, created, modified, deleted.
TOMBSTONE_KEYS = {"id", "type", "created", "modified", "deleted"}


@cache
def _registry() -> tuple[Registry, dict[str, dict[str, Any]]]:
    resources = []
    schemas: dict[str, dict[str, Any]] = {}
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents)
        resources.append((BASE + path.name, resource))  # "$ref": "File.json"
        resources.append((contents["$id"], resource))  # "$ref": "Organization" (Body.mainOrganization)
        schemas[path.stem] = contents
    return Registry().with_resources(resources), schemas


def validator(type_name: str) -> Draft7Validator:
    """A validator for one OParl type (``"Meeting"``), with every other type resolvable."""
    registry, schemas = _registry()
    return Draft7Validator(schemas[type_name], registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


def type_name(obj: dict[str, Any]) -> str:
    """``Meeting`` for an object of type ``https://schema.oparl.org/1.1/Meeting``."""
    value = str(obj.get("type", ""))
    assert value.startswith(BASE), f"not an OParl 1.1 type: {value!r}"
    return value[len(BASE) :]


def problems(obj: dict[str, Any]) -> list[str]:
    """Why ``obj`` is not a valid OParl 1.1 object (empty if it is).

    A deleted object must drop every attribute but id, type, created and modified (OParl 1.1,
    "Gelöschte Objekte"), which the schema's required attributes of Body, File and AgendaItem
    cannot allow; tombstones are checked for exactly that shape instead.
    """
    if obj.get("deleted") is True:
        extra = set(obj) - TOMBSTONE_KEYS
        return [f"tombstone with other attributes: {sorted(extra)}"] if extra else []
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(type_name(obj)).iter_errors(obj)]


def schema(type_name: str) -> dict[str, Any]:
    """The 1.1 JSON Schema of one type (``"Meeting"``), as in the fixture."""
    return _registry()[1][type_name]
