"""``ris-connector schema``: write the normalized schema as JSON Schema, one file per type."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ris_connector.cli.common import EXIT_INCOMPLETE, EXIT_OK
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


def register(sub: Any) -> None:
    """Add the sub-command."""
    p = sub.add_parser("schema", help="write one JSON Schema file per record type")
    p.add_argument("--out", default="schemas", metavar="DIR", help="directory (default: schemas/)")
    p.add_argument("--check", action="store_true", help="only check that DIR is current; exit 3 if stale")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Write or check the schema files."""
    target = Path(args.out)
    rendered = render_schemas()
    if args.check:
        stale = [
            n for n, text in rendered.items() if not (target / n).is_file() or (target / n).read_text("utf-8") != text
        ]
        extra = sorted(p.name for p in target.glob("*.json") if p.name not in rendered) if target.is_dir() else []
        for name in stale + extra:
            print(f"stale: {target / name}", file=sys.stderr)
        return EXIT_INCOMPLETE if stale or extra else EXIT_OK
    target.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.items():
        (target / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(rendered)} schema files to {target}", file=sys.stderr)
    return EXIT_OK
