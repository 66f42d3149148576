"""Identity check: the OParl mapper of this tree against another tree's, item by item.

    python bench/oparl_identity.py --base /tmp/base [--scale 0.05] [--rounds 30]

``--base`` is an exported copy of the reference code (``git -C /work/main archive main | tar -x
-C /tmp/base``). The same inputs are mapped by both mappers (each in its own process, the base
one with ``PYTHONPATH=<base>``) and every item is compared: records (type and JSON dump),
notices (code and message), rejections (reason, type, ref), tombstones and the count of skipped
identical copies. Inputs, each mapped by one fresh mapper per group, in order:

- the sample council (OParl 1.1) without quirks, under each quirk mode of
  :data:`ris_connector.sample.views.QUIRKS` alone (text-level quirks applied as served), and as
  OParl 1.0;
- the real OParl recordings in ``tests/fixtures/real/*oparl*`` (list pages split into objects);
- ``--rounds`` rounds of mutated copies of both (values swapped for hostile ones at any depth,
  keys and ids removed, types respelled, objects repeated with and without changes).

With ``--sync`` it compares whole syncs instead: ``ris-connector sync`` of the sample server
(``--scale``, default 0.1 there) by each tree into its own SQLite file, once without quirks and
once with :data:`SYNC_QUIRKS`; compared are the records (id, type, hash, data without
``fetchedAt``), the change feed (kind, type, id, fields, changes), the quarantine (type, ref,
reason) and the report's counts, notices (code, count), warnings and errors.

Prints the counts compared and every difference (at most 20); exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = "http://127.0.0.1:8765/oparl/v1.1"
Group = tuple[str, list[tuple[str | None, Any]]]
"""A name and the (expected type, object) pairs one mapper maps in order."""

#: Values that a mutation puts in place of an existing one.
HOSTILE: list[Any] = [
    None,
    "",
    " ",
    "N/A",
    "null",
    0,
    1,
    -7,
    2**70,
    1.5,
    True,
    False,
    [],
    {},
    ["x"],
    [None, "http://127.0.0.1:8765/oparl/v1.1/papers/1"],
    "  padded text  ",
    "text\x01with control",
    "http://127.0.0.1:8765/oparl/v1.1/files/1 with space",
    "http://127.0.0.1:8765//oparl/v1.1/files//2",
    "HTTP://127.0.0.1:8765/oparl/v1.1/papers/3/",
    "https://127.0.0.1:8765/oparl/v1.1/meetings/4",
    "http://[::1/x",
    "no url at all",
    "2020-01-01",
    "2020-01-01T10:00:00",
    "2020-01-01T10:00:00+01::00",
    "2020-01-01T10:00:00.123+0100",
    "2020-13-45T00:00:00+01:00",
    "1850-01-01T00:00:00+01:00",
    "20200101T100000Z",
    "true",
    "ja",
    "pdf",
    "https://schema.oparl.org/1.1/File",
    "http://schema.oparl.org/1.0/Paper/",
    "Location",
    "0123456",
    "051150000000",
]


#: The sample server's quirk modes that change what is served (not how requests are answered),
#: all at once, for the whole-sync comparison.
SYNC_QUIRKS = (
    "embedded_no_type",
    "person_location_object",
    "membership_array",
    "file_double_slash",
    "ags_9",
    "missing_mandatory",
    "unlisted_refs",
    "control_chars",
    "double_colon_tz",
    "na_values",
    "aux_single",
    "no_microseconds",
    "https_ids",
    "embedded_no_id",
    "created_after_modified",
    "bad_geojson",
    "type_variants",
    "url_spaces",
    "single_values",
    "number_refs",
    "date_for_datetime",
    "license_text",
    "tombstone_no_type",
)


def _pages(data: Any) -> list[Any]:
    """The objects of a recorded answer: a list page's ``data``, a list, or the object itself."""
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        return list(data["data"])
    if isinstance(data, list):
        return data
    return [data]


def sample_groups(scale: float) -> Iterator[Group]:
    """The sample council's listed objects, as served, per quirk mode (and as OParl 1.0)."""
    from ris_connector.sample.dataset import LIST_KEYS
    from ris_connector.sample.generator import generate
    from ris_connector.sample.views import QUIRKS, Renderer

    for version in ("1.1", "1.0"):
        ds = generate(BASE_URL, scale=scale, version=version)
        modes: list[str] = [""] + (sorted(QUIRKS) if version == "1.1" else [])
        for mode in modes:
            renderer = Renderer(ds, frozenset({mode} if mode else ()))
            pairs: list[tuple[str | None, Any]] = [
                ("System", json.loads(renderer.dumps(renderer.system()), strict=False))
            ]
            for type_name in sorted(LIST_KEYS):
                for oid in ds.ids(type_name):
                    obj = renderer.expand(ds.path_of(oid))
                    if obj is not None:
                        pairs.append((type_name, json.loads(renderer.dumps(obj), strict=False)))
            yield f"sample {version} {mode or 'plain'}", pairs


def real_groups() -> Iterator[Group]:
    """The real OParl recordings, one group per source."""
    for folder in sorted((ROOT / "tests" / "fixtures" / "real").glob("*oparl*")):
        pairs: list[tuple[str | None, Any]] = []
        for path in sorted(folder.rglob("*.json")):
            pairs.extend((None, obj) for obj in _pages(json.loads(path.read_text(encoding="utf-8"))))
        yield f"real {folder.name}", pairs


def _mutate(obj: Any, rng: random.Random) -> Any:
    """A copy of ``obj`` with one to three hostile changes at random depths."""
    out = copy.deepcopy(obj)
    for _ in range(rng.randint(1, 3)):
        target = out
        while True:  # walk down into a random nested object or list, sometimes stopping early
            kids = [v for v in (target.values() if isinstance(target, dict) else target) if isinstance(v, (dict, list))]
            if not kids or rng.random() < 0.5:
                break
            target = rng.choice(kids)
        if isinstance(target, dict) and target:
            key = rng.choice(sorted(target))
            roll = rng.random()
            if roll < 0.15:
                del target[key]
            elif roll < 0.2:
                target.pop("id", None)
            elif roll < 0.25:
                target.pop("type", None)
            elif roll < 0.3:
                target["deleted"] = rng.choice([True, "true", " TRUE ", False])
            else:
                target[key] = copy.deepcopy(rng.choice(HOSTILE))
        elif isinstance(target, list) and target:
            target[rng.randrange(len(target))] = copy.deepcopy(rng.choice(HOSTILE))
    return out


def mutated_groups(scale: float, rounds: int, seed: int) -> Iterator[Group]:
    """``rounds`` groups of mutated objects; each repeats some objects, changed and unchanged."""
    pool = [pair for _, pairs in sample_groups_plain(scale) for pair in pairs]
    pool += [pair for _, pairs in real_groups() for pair in pairs]
    rng = random.Random(seed)
    for n in range(rounds):
        pairs: list[tuple[str | None, Any]] = []
        for expected, obj in rng.sample(pool, min(len(pool), 400)):
            pairs.append((expected, _mutate(obj, rng)))
            if rng.random() < 0.2:
                pairs.append((rng.choice([expected, None, "File", "Location"]), obj))  # a copy as listed
        yield f"mutated round {n}", pairs


def sample_groups_plain(scale: float) -> Iterator[Group]:
    """The sample council without quirks (the mutations' starting point)."""
    for name, pairs in sample_groups(scale):
        if name.endswith("plain"):
            yield name, pairs


def _item(item: Any) -> list[Any]:
    """One item as comparable JSON."""
    from ris_connector.items import Notice, Rejected, Tombstone

    if isinstance(item, Notice):
        return ["notice", item.code, item.message, item.count]
    if isinstance(item, Rejected):
        return ["rejected", item.reason, item.type, item.ref]
    if isinstance(item, Tombstone):
        return ["tombstone", item.id, item.type]
    return ["record", type(item).__name__, item.model_dump(mode="json")]


def dump(scale: float, rounds: int, seed: int, out_path: str) -> None:
    """Map every group with this interpreter's ``ris_connector`` and write one JSON line per object."""
    from zoneinfo import ZoneInfo

    import ris_connector
    from ris_connector.adapters.oparl.mapper import OParlMapper
    from ris_connector.clock import FixedClock

    print(f"mapping with {Path(ris_connector.__file__).parent}", file=sys.stderr)
    clock = FixedClock(datetime(2025, 1, 1, tzinfo=timezone.utc))
    groups = [*sample_groups(scale), *real_groups(), *mutated_groups(scale, rounds, seed)]
    with open(out_path, "w", encoding="utf-8") as out:
        for name, pairs in groups:
            mapper = OParlMapper(source="identity", tz=ZoneInfo("Europe/Berlin"), clock=clock, scheme_for={})
            for i, (expected, obj) in enumerate(pairs):
                url = obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str) else None
                items = [_item(it) for it in mapper.items(obj, expected=expected, url=url)]
                out.write(json.dumps([name, i, items], sort_keys=True, default=repr) + "\n")
            out.write(json.dumps([name, "skipped", mapper.skipped]) + "\n")


def _sync_state(db: Path) -> dict[str, list[Any]]:
    """What a sync left and said, comparable across trees (no times, no run-specific values)."""
    import sqlite3

    con = sqlite3.connect(db)
    try:
        records = []
        for rid, type_, hash_, data in con.execute("SELECT id, type, hash, data FROM records ORDER BY id"):
            fields = json.loads(data)
            fields.get("provenance", {}).pop("fetchedAt", None)
            fields.pop("fetchedAt", None)
            records.append([rid, type_, hash_, fields])
        events = [list(row) for row in con.execute("SELECT kind, type, id, fields, changes FROM events ORDER BY seq")]
        quarantine = [list(row) for row in con.execute("SELECT type, ref, reason FROM quarantine ORDER BY qid")]
        (report_text,) = con.execute("SELECT report FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
    finally:
        con.close()
    report = json.loads(report_text)
    for timing in ("started", "finished", "duration_s"):
        report.pop(timing, None)
    return {
        "records": records,
        "events": events,
        "quarantine": quarantine,
        "counts": sorted(report["counts"].items()),
        "notices (code, count)": [[w["code"], w["count"]] for w in report["warnings"]],
        "warnings with examples": report["warnings"],
        "errors": report["errors"],
        "whole report but times": [report],
    }


def sync_compare(base: str, scale: float) -> int:
    """Whole syncs of the sample server by both trees; returns the number of differences."""
    from ris_connector.sample.server import OParlServer

    differences = 0
    work = Path(f"/tmp/oparl-identity-sync-{os.getpid()}")
    work.mkdir(exist_ok=True)
    for label, quirks in (("plain", ()), ("quirks", SYNC_QUIRKS)):
        server = OParlServer(version="1.1", scale=scale, quirks=quirks, page_size=100).start()
        try:
            config = work / "sync.toml"
            config.write_text(
                f'[[source]]\nname = "identity"\nadapter = "oparl"\nurl = "{server.system_url}"\n'
                "[source.http]\nrate_limit = 0\n",
                encoding="utf-8",
            )
            states = []
            for side, path in (("base", base), ("branch", str(ROOT))):
                db = work / f"{label}-{side}.db"
                db.unlink(missing_ok=True)
                cmd = [sys.executable, "-m", "ris_connector", "-q", "sync", "--config", str(config), "--db", str(db)]
                done = subprocess.run(
                    [*cmd, "--json"],
                    env={**os.environ, "PYTHONPATH": path},
                    capture_output=True,
                    check=False,
                    cwd=work,  # not a checkout: ``-m`` would import it before PYTHONPATH
                )
                if done.returncode not in (0, 1, 2):
                    raise RuntimeError(f"{side} sync failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
                states.append(_sync_state(db))
        finally:
            server.stop()
        a, b = states
        for part in a:
            same = a[part] == b[part]
            differences += not same
            print(f"sync {label}: {part}: {len(a[part])} compared, {'identical' if same else 'DIFFERENT'}")
            if not same:
                for x, y in zip(a[part], b[part], strict=False):
                    if x != y:
                        print(f"  base   {str(x)[:600]}\n  branch {str(y)[:600]}")
                        break
    return differences


def main() -> None:
    """Run both sides and compare."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", help="the reference tree (exported copy of main)")
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--sync", action="store_true", help="compare whole syncs of the sample server")
    parser.add_argument("--dump", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sync:
        if not args.base:
            parser.error("--base is required")
        differences = sync_compare(args.base, args.scale)
        print(f"whole syncs: differences: {differences}")
        sys.exit(1 if differences else 0)
    if args.dump:
        dump(args.scale, args.rounds, args.seed, args.dump)
        return
    if not args.base:
        parser.error("--base is required")
    results = {}
    for side, path in (("base", args.base), ("branch", str(ROOT))):
        out = f"/tmp/oparl-identity-{os.getpid()}-{side}.jsonl"
        env = {**os.environ, "PYTHONPATH": path}
        cmd = [sys.executable, __file__, "--dump", out, "--scale", str(args.scale)]
        cmd += ["--rounds", str(args.rounds), "--seed", str(args.seed)]
        subprocess.run(cmd, env=env, check=True)
        results[side] = Path(out).read_text(encoding="utf-8").splitlines()
        os.unlink(out)
    base, branch = results["base"], results["branch"]
    counts: dict[str, int] = {}
    differences = 0
    for n, (a, b) in enumerate(zip(base, branch, strict=False)):
        for item in json.loads(a)[2] if isinstance(json.loads(a)[2], list) else []:
            counts[item[0]] = counts.get(item[0], 0) + 1
        if a != b:
            differences += 1
            if differences <= 20:
                print(f"line {n}:\n  base   {a[:600]}\n  branch {b[:600]}")
    if len(base) != len(branch):
        differences += 1
        print(f"line counts differ: base {len(base)}, branch {len(branch)}")
    groups = len({json.loads(line)[0] for line in base})
    print(
        f"{groups} groups, {len(base)} lines ({sum(counts.values())} items: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        + f"); differences: {differences}"
    )
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
