"""The normalized model as JSON Schema: one document per record type (``schemas/``).

Rendered here, below the CLI, so that ``ris-connector schema`` and the adapter test kit
(``testing/checks.py``) share it.
"""

from __future__ import annotations

import json

from ris_connector.models import RECORD_TYPES

SCHEMA_BASE = "https://schemas.ris-connector.org/0.1/"


def render_schemas() -> dict[str, str]:
    """File name -> JSON Schema text for every record type."""
    out: dict[str, str] = {}
    for name, cls in RECORD_TYPES.items():
        schema = cls.model_json_schema(by_alias=True, mode="serialization")
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{SCHEMA_BASE}{name}.json",
            **schema,
        }
        out[f"{name}.json"] = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    return out
