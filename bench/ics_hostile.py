"""Benchmark: the hostile iCalendar feeds of issues 13 and 14, time and peak memory per case.

Each case (a SECONDLY rule from 2000, a VTIMEZONE whose rules repeat every second, a date in
the year 1, a 250 KB feed of hourly rules) is served by a local HTTP server and synced by
``ris-connector sync --config ... --json`` in a child process into a new SQLite file. The child
is killed after ``--timeout`` seconds and its address space capped at ``--memory-mb`` (so a
runaway ends there instead of taking the machine down); its peak RSS is read from
``os.wait4``'s rusage of exactly that child. ``--python`` runs the sync with another
interpreter, e.g. the virtualenv of a checkout of main, to measure "before". Usage::

    python bench/ics_hostile.py [--python /work/main/.venv/bin/python] [--timeout 120] [--memory-mb 2048] [CASE ...]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.ics_feeds import HOSTILE  # noqa: E402 - after the repository is on the path
from tests.support.ics_server import IcsServer  # noqa: E402
from tests.support.measured import run_measured  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", default=list(HOSTILE), help=f"cases to run (default all: {list(HOSTILE)})")
    parser.add_argument("--python", default=sys.executable, help="interpreter (and its ris_connector) of the sync")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before the sync is killed")
    parser.add_argument("--memory-mb", type=int, default=2048, help="address space cap of the sync process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as elsewhere:  # not the repository: "" on sys.path is the cwd
        where = run_measured(
            [args.python, "-c", "import ris_connector; print(ris_connector.__file__)"], timeout=60, cwd=elsewhere
        )
    print(f"code: {where.stdout.strip()}")
    print(f"{'case':<22} {'feed':>9} {'exit':>6} {'seconds':>8} {'peak RSS':>9} {'stored':>9} {'db':>8}  outcome")
    with IcsServer() as server, tempfile.TemporaryDirectory() as folder:
        for case in args.cases:
            text = HOSTILE[case]()
            url = server.put(f"/{case}.ics", text)
            config = Path(folder) / f"{case}.toml"
            config.write_text(
                f'db = "{Path(folder) / case}.db"\n[[source]]\nname = "{case}"\nadapter = "ics"\nurl = "{url}"\n'
                "[source.http]\nrate_limit = 0\n",
                encoding="utf-8",
            )
            command = [args.python, "-m", "ris_connector", "sync", "--config", str(config), "--json"]
            result = run_measured(command, timeout=args.timeout, memory_mb=args.memory_mb, cwd=folder)
            exit_text = "killed" if result.timed_out else str(result.returncode)
            rows, size = _stored(Path(folder) / f"{case}.db")
            print(
                f"{case:<22} {len(text.encode()) / 1024:>7.0f}KB {exit_text:>6} {result.seconds:>8.1f} "
                f"{result.peak_rss_mb:>7.0f}MB {rows:>9} {size / 2**20:>6.1f}MB  "
                f"{_outcome(result.stdout, result.stderr, result.timed_out)}"
            )
    return 0


def _stored(db: Path) -> tuple[int, int]:
    """Records in the database (also after a kill: committed batches) and its size with the WAL."""
    size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT count(*) FROM records").fetchone()[0]), size
    except sqlite3.Error:
        return 0, size


def _outcome(stdout: str, stderr: str, timed_out: bool) -> str:
    if timed_out:
        return "did not finish"
    try:
        report = json.loads(stdout)
    except ValueError:
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        return f"no report; {lines[-1][:90] if lines else 'no output'}"
    counts = report["totals"]
    codes = ", ".join(f"{w['code']} x{w['count']}" for w in report["warnings"] if w["code"] != "ics-line-ends")
    return f"{report['status']}: created {counts['created']}, quarantined {counts['quarantined']}; {codes}"


if __name__ == "__main__":
    raise SystemExit(main())
