"""Identity check: the XML export path of two code trees gives the same data, notice for notice.

Runs each input twice in subprocesses, once with ``PYTHONPATH`` set to a reference tree (e.g. an
exported copy of ``main``: ``git -C /work/main archive main | tar -x -C /tmp/base``) and once with
this tree, and compares:

* a sync of each export file into a new SQLite file (a fixed clock, so meeting status and
  ``fetchedAt`` are the same in both): ``records`` (id, type, hash, data), the change feed
  (kind, type, id, fields, changes), the quarantine (type, ref, reason, raw) and the report's
  status, counts, notices/warnings (code, count) and errors;
* the items the mapping plan makes of the odd-input export of ``tests/mapping/test_compiled.py``
  (namespaces, nested, parent and root paths, attributes, nulls, bad dates, repeats) with and
  without an export URL and ``keep_raw``: every record, rejection and notice, in order.

Usage::

    python bench/xml_identity.py --base /tmp/base [--export FILE ...] [--fixtures]

``--fixtures`` adds the XML fixtures the tests use (``tests/fixtures/xml``). Exit status 0 when
every comparison is equal.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]

#: What the child process runs: sync or map, then print JSON (``argv``: mode, mapping, inputs).
CHILD = r"""
import json, sqlite3, sys, tomllib
from datetime import datetime, timezone
from ris_connector.clock import FixedClock

NOW = datetime(2024, 3, 20, 12, 0, tzinfo=timezone.utc)
mode, mapping_ref, data_ref, db = sys.argv[1:5]


def rows(con, sql):
    return [list(r) for r in con.execute(sql)]


if mode == "sync":
    from ris_connector.config import source_from_mapping
    from ris_connector.store import SQLiteStore
    from ris_connector.sync import run_source

    store = SQLiteStore(db)
    source = source_from_mapping({"name": "ident", "adapter": "xml", "mapping": mapping_ref, "file": [data_ref]})
    report = run_source(source, store, clock=FixedClock(NOW))
    store.close()
    con = sqlite3.connect(db)
    records = []
    for rid, kind, digest, data in con.execute("select id, type, hash, data from records order by id"):
        value = json.loads(data)
        value.get("provenance", {}).pop("fetchedAt", None)
        records.append([rid, kind, digest, value])
    out = {
        "records": records,
        "events": rows(con, "select kind, type, id, fields, changes from events order by seq"),
        "quarantine": rows(con, "select type, ref, reason, raw from quarantine order by qid"),
        "report": {
            "status": report.status,
            "counts": {t: dict(sorted(c.items())) for t, c in sorted(report.counts.items())},
            "warnings": {k: v.get("count") for k, v in sorted(report.warnings.items())},
            "errors": report.errors,
            "control_characters_removed": report.control_characters_removed,
        },
    }
else:
    from ris_connector.adapters.base import Notice
    from ris_connector.mapping import parse_mapping
    from ris_connector.models import Record
    from tests.support.mapping_runs import mapped_items, plan_for

    mapping = parse_mapping(tomllib.loads(open(mapping_ref, encoding="utf-8").read()), "odd.toml")
    data = open(data_ref, "rb").read()
    out = {}
    for url in (None, "https://odd.example/export.xml?einladung=F-1&x=2"):
        for keep_raw in (False, True):
            items = mapped_items(plan_for(mapping, "odd stadt", NOW, keep_raw=keep_raw), data, url)
            out[f"{url} {keep_raw}"] = [
                ["record", type(i).__name__, i.model_dump(mode="json")]
                if isinstance(i, Record)
                else ["notice", i.code, i.message, i.count]
                if isinstance(i, Notice)
                else ["rejected", i.type, i.ref, i.reason, i.raw]
                for i in items
            ]
print(json.dumps(out, sort_keys=True, default=str))
"""


def quirks_export() -> bytes:
    """An ALLRIS 3 export with what real ones do wrong: mixed cp1252 and UTF-8 under a latin-1
    label, control characters and U+FFFE, namespaces, nested markup, null and placeholder values,
    bad and DST-edge dates, missing ids, repeated committees, agenda items and consultations."""
    rows = [
        "<element><silfdnr>1</silfdnr><sitext>Rat \x01der Stadt</sitext><grname>Rat</grname>"
        "<sisbvcs>20240331T023000Z</sisbvcs><sisevcs>20241027T023000Z</sisevcs></element>",
        "<element><silfdnr>2</silfdnr><sitext>N/A</sitext><siname>SI/2</siname><grname>Rat</grname>"
        "<sisbvcs>20240230T170000Z</sisbvcs><sisevcs>kaputt</sisevcs></element>",
        "<element><silfdnr>0</silfdnr><sitext>Null-Id</sitext><sisbvcs>20240101T170000Z</sisbvcs></element>",
        "<element><silfdnr> </silfdnr><sitext>ohne Id</sitext><sisbvcs>20240101T170000Z</sisbvcs></element>",
        '<a:element xmlns:a="urn:a"><a:silfdnr>3</a:silfdnr><a:sitext>Sitzung <b>fett</b> \ufffe'
        "Ende</a:sitext><a:grname>Bauausschuss</a:grname><a:sisbvcs>20240312t170000z</a:sisbvcs></a:element>",
        "<element><tolfdnr>10</tolfdnr><silfdnr>1</silfdnr><tofnum>1</tofnum><tofunum>0</tofunum>"
        "<tofuunum>2</tofuunum><totext1>Eröffnung</totext1><toostLang>öffentlich</toostLang>"
        "<volfdnr>100</volfdnr></element>",
        "<element><tolfdnr>11</tolfdnr><toptext>Geheim</toptext><toostLang>vielleicht</toostLang></element>",
        "<element><volfdnr>100</volfdnr><voname>VO/1</voname><vobetr>„Mühlbach“ \N{EN DASH} \ufffeStraße\x0b</vobetr>"
        "<vaname>-</vaname><link_vo>javascript:alert(1)</link_vo></element>",
        "<element><volfdnr>101</volfdnr><voname>VO/2</voname><vobetr><![CDATA[A & B]]></vobetr>"
        "<link_vo>vo020.asp?VOLFDNR=101</link_vo></element>",
    ]
    head = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<export><list>'
    body = "".join(rows[:5]).encode("cp1252", errors="replace") + "".join(rows[5:]).encode("utf-8")
    return head.encode() + body + b"</list></export>\n"


def run(tree: Path, mode: str, mapping: str, data: Path, folder: Path) -> Any:
    """The child's JSON output when run with ``tree`` first on the path."""
    db = folder / f"{tree.name}-{data.stem}.db"
    for old in folder.glob(f"{db.name}*"):
        old.unlink()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, mapping, str(data), str(db)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{tree}: {mode} {data} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Paths at which two JSON values differ (at most a few per list)."""
    if type(a) is not type(b):
        return [f"{where}: {a!r:.200} != {b!r:.200}"]
    if isinstance(a, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(f"{where}/{key}: only in {'base' if key in a else 'branch'}")
            else:
                out.extend(differences(a[key], b[key], f"{where}/{key}"))
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            head = f"{where}: {len(a)} items != {len(b)}"
            return [head, *differences(a[: len(b)], b[: len(a)], where)[:5]]
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out.extend(differences(x, y, f"{where}[{i}]"))
            if len(out) > 10:
                break
        return out
    return [] if a == b else [f"{where}: {a!r:.200} != {b!r:.200}"]


def sizes(result: Any) -> str:
    """How much was compared (rows per table, items per case)."""
    if "records" in result:
        counts = {k: len(result[k]) for k in ("records", "events", "quarantine")}
        notices = len(result["report"]["warnings"])
        rows = f"{counts['records']} records, {counts['events']} events, {counts['quarantine']} quarantined"
        return f"{rows}, {notices} notice codes"
    return ", ".join(f"{len(v)} items" for v in result.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the reference tree (an exported main)")
    parser.add_argument("--export", type=Path, action="append", default=[], help="an export file (allris3 mapping)")
    parser.add_argument("--fixtures", action="store_true", help="also every XML fixture under tests/fixtures/xml")
    args = parser.parse_args()
    exports = [p.resolve() for p in args.export]
    if args.fixtures:
        exports.extend(sorted((HERE / "tests" / "fixtures" / "xml").rglob("*.xml")))
    failed = 0
    with tempfile.TemporaryDirectory(prefix="xml-identity-") as tmp:
        folder = Path(tmp)
        sys.path.insert(0, str(HERE))
        from tests.mapping.test_compiled import ODD_EXPORT, ODD_MAPPING

        odd_mapping, odd_export = folder / "odd.toml", folder / "odd.xml"
        odd_mapping.write_text(ODD_MAPPING, encoding="utf-8")
        odd_export.write_text(ODD_EXPORT, encoding="utf-8")
        quirks = folder / "quirks.xml"
        quirks.write_bytes(quirks_export())
        cases = [("map", str(odd_mapping), odd_export), ("sync", "allris3", quirks)]
        cases += [("sync", "allris3", p) for p in exports]
        for mode, mapping, data in cases:
            base = run(args.base.resolve(), mode, mapping, data, folder)
            mine = run(HERE, mode, mapping, data, folder)
            diff = differences(base, mine)
            verdict = "identical" if not diff else f"{len(diff)} differences"
            print(f"{mode} {data.name}: {verdict} ({sizes(base)})")
            for line in diff[:20]:
                print("   ", line)
            failed += bool(diff)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
