"""Peak memory and wall time of a whole CLI run against each hostile source of issue 14.

Every case is one ``ris-connector`` command (``sync`` or ``push``) run in a fresh child process
that imports ris_connector from the tree given (``PYTHONPATH``), against servers on 127.0.0.1
that run in this process. The child's peak RSS (VmHWM, polled by ``tests/support/measured.py``
so that a run killed at ``--timeout`` still has a figure) is the CLI's own.

    python bench/hostile_memory.py                                   # this tree
    python bench/hostile_memory.py --tree before=/tmp/old-main --tree after=.
    python bench/hostile_memory.py --case big-pages --big-pages 3    # one case, smaller

Cases (sizes as in the issue unless a flag says otherwise):

* ``non-objects``  one OParl list page of 6 MB whose entries are numbers, not objects
* ``non-object-arrays``  the same with empty arrays (``[]``), which cost most memory decoded
* ``big-pages``    12 pages of 95 MB, 10 papers a page whose names fill it
* ``big-pages-raised``  the same with ``max_page_bytes = 100 MiB`` (after; before: the same run):
  what batching by bytes holds when an operator lets such pages in
* ``endless``      a ``next`` chain without end, 10 fresh papers a page (``--endless-pages``
  caps it in both trees: ``max_pages`` before, ``max_pages_per_list`` after)
* ``ics-hourly``   a 250 KB iCalendar feed of events that repeat hourly without end
* ``slow-url``     a System URL whose headers come after 60 s (read_timeout 2, deadline 5)
* ``retry-after``  a System URL answering 429 ``Retry-After: 99999999`` (defaults)
* ``webhook-huge`` ``push`` to a webhook answering 200 with 1.5 GB
* ``deep-json``    a list page nested 100,000 arrays deep
* ``soap-huge``    a SOAP answer of about 77 MB (defaults)

Each tree reads the same configuration; keys a tree does not know are left out for it (the
endless cap is the one setting that differs, see above).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES = (
    "non-objects",
    "non-object-arrays",
    "big-pages",
    "big-pages-raised",
    "endless",
    "ics-hourly",
    "slow-url",
    "retry-after",
    "webhook-huge",
    "deep-json",
    "soap-huge",
)


# -- the child: one CLI command, then its peak RSS --------------------------------------------------


def _child(argv: list[str]) -> int:
    from ris_connector.cli import main as cli

    return cli(argv)


def _run(tree: Path, argv: list[str], timeout: float) -> dict[str, Any]:
    """Run the CLI with ``argv`` from ``tree``: exit status, seconds, peak RSS, its JSON output."""
    from tests.support.measured import run_measured

    env = {**os.environ, "PYTHONPATH": str(tree)}
    argv = [sys.executable, __file__, "--child", *argv]
    done = run_measured(argv, env=env, cwd=str(tree), timeout=timeout, memory_mb=32_768)
    report: dict[str, Any] = {}
    start = done.stdout.find("{")
    if start >= 0:
        try:
            report = json.loads(done.stdout[start:])
        except json.JSONDecodeError:
            report = {}
    return {
        "exit": "killed" if done.returncode is None else done.returncode,
        "seconds": done.seconds,
        "peak_mb": done.peak_rss_mb,
        "report": report,
        "traceback": "Traceback" in done.stderr,
        "stderr_tail": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "",
    }


def _outcome(result: dict[str, Any]) -> str:
    report = result["report"]
    if result["exit"] == "killed":
        return "killed at the timeout"
    if result["traceback"]:
        return f"exit {result['exit']}, traceback: {result['stderr_tail'][:140]}"
    if not report:
        return f"exit {result['exit']}: {result['stderr_tail'][:160]}"
    if "status" in report and "totals" in report:
        totals = report["totals"]
        text = (
            f"exit {result['exit']}, {report['status']}, {totals.get('created', 0)} created, "
            f"{totals.get('quarantined', 0)} quarantined, {report.get('requests', 0)} requests"
        )
        errors = report.get("errors") or []
        if errors:
            text += f"; {errors[0][:160]}"
        return text
    return f"exit {result['exit']}: {json.dumps(report)[:160]}"


# -- the parent: servers, configurations, the table -------------------------------------------------


def _ics_feed(size: int) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//hostile//DE"]
    n = 0
    while sum(len(x) + 2 for x in lines) < size:
        lines += [
            "BEGIN:VEVENT",
            f"UID:hourly-{n}@bench.example",
            "DTSTAMP:20240101T000000Z",
            f"DTSTART:20240101T{n % 24:02d}0000Z",
            "DURATION:PT30M",
            "RRULE:FREQ=HOURLY",
            f"SUMMARY:Sitzung {n}",
            "END:VEVENT",
        ]
        n += 1
    lines.append("END:VCALENDAR")
    return "\n".join(lines)


class Bench:
    """The servers of every case, started once."""

    def __init__(self, args: argparse.Namespace) -> None:
        from tests.support.faulty_server import FaultyServer
        from tests.support.hostile_oparl import BigPages, Endless, HostileOParl, NonObjects, Papers, paper
        from tests.support.hostile_post import HostilePostServer
        from tests.support.ics_server import IcsServer
        from tests.support.soap_server import SoapServer

        class Deep(Papers):
            def body(self, n: int, base: str) -> bytes:
                depth = 100_000
                return b'{"data":[' + b"[" * depth + b"]" * depth + b'],"links":{}}'

        self.stops: list[Callable[[], None]] = []
        self.oparl: dict[str, HostileOParl] = {
            "non-objects": HostileOParl(NonObjects(6_000_000, b"7")),
            "non-object-arrays": HostileOParl(NonObjects(6_000_000, b"[]")),
            "big-pages": HostileOParl(BigPages(args.big_pages, 95_000_000, per_page=10)),
            "endless": HostileOParl(Endless(per_page=10)),
            "deep-json": HostileOParl(Deep()),
            "one-paper": HostileOParl(Papers()),
        }
        for server in self.oparl.values():
            server.start()
            self.stops.append(server.stop)
        one = self.oparl["one-paper"]
        one.papers.objects = [paper(one.base_url + "/oparl/paper/1")]
        self.faulty = FaultyServer().start()
        self.stops.append(self.faulty.stop)
        self.post = HostilePostServer().__enter__()
        self.stops.append(lambda: self.post.__exit__(None, None, None))
        self.ics = IcsServer().start()
        self.stops.append(self.ics.stop)
        self.ics_url = self.ics.put("/hourly.ics", _ics_feed(250_000))
        self.soap = SoapServer().start()
        self.stops.append(self.soap.stop)
        first = self.soap.data["meetings"][0]
        day = date.today().isoformat()  # inside the mapping's date window, whenever the bench runs
        self.soap.data["meetings"] = [
            dict(first, id=n, titel=f"Sitzung {n} des Ausschusses", beginn=f"{day}T18:00:00+02:00", ende=None)
            for n in range(args.soap_meetings)
        ]
        self.soap.data["agendas"] = {}
        self.args = args

    def close(self) -> None:
        for stop in reversed(self.stops):
            stop()

    def argv(self, case: str, tree: Path, folder: Path) -> tuple[list[str], float]:
        """The CLI arguments of ``case`` for ``tree`` (config files written to ``folder``), and
        the timeout."""
        db = str(folder / "bench.db")
        timeout = self.args.timeout
        new = (tree / "ris_connector" / "sync" / "ownership.py").exists()  # the per-run bounds exist
        if case in ("non-objects", "non-object-arrays", "big-pages", "deep-json"):
            return ["sync", "--oparl", self.oparl[case].system_url, "--db", db, "--json"], timeout
        if case == "big-pages-raised":
            key = "max_page_bytes = 104857600\n" if new else ""
            url = self.oparl["big-pages"].system_url
            return self._config(folder, db, f'adapter = "oparl"\nurl = "{url}"\n{key}'), timeout
        if case == "endless":
            cap = self.args.endless_pages
            key = f"max_pages_per_list = {cap}" if new else f"max_pages = {cap}"
            url = self.oparl[case].system_url
            return self._config(folder, db, f'adapter = "oparl"\nurl = "{url}"\n{key}\n'), timeout
        if case == "ics-hourly":
            return ["sync", "--ics", self.ics_url, "--db", db, "--json"], timeout
        if case == "slow-url":
            url = self.faulty.url("/slow-headers/60")
            http = "[source.http]\nread_timeout = 2\ndeadline = 5\nmax_attempts = 5\nbackoff_initial = 1\n"
            return self._config(folder, db, f'adapter = "oparl"\nurl = "{url}"\n{http}'), timeout
        if case == "retry-after":
            url = self.faulty.url("/retry-after-always/99999999")
            return ["sync", "--oparl", url, "--db", db, "--json"], min(timeout, self.args.retry_timeout)
        if case == "webhook-huge":
            self._one_event(tree, folder, db)
            target = self.post.url(f"/big-{self.args.webhook_mb * 1_000_000}/hook")
            return ["push", "--db", db, "--url", target, "--max-attempts", "1", "--json"], timeout
        if case == "soap-huge":
            url = self.soap.wsdl_url
            return self._config(folder, db, f'adapter = "soap"\nmapping = "sitzungsdienst"\nurl = "{url}"\n'), timeout
        raise ValueError(case)

    def _config(self, folder: Path, db: str, body: str) -> list[str]:
        path = folder / "sources.toml"
        path.write_text(f'db = "{db}"\n\n[[source]]\nname = "hostile"\n{body}', encoding="utf-8")
        return ["sync", "--config", str(path), "--json"]

    def _one_event(self, tree: Path, folder: Path, db: str) -> None:
        """A store with one change event, made by the tree itself (``push`` has something to send)."""
        env = {**os.environ, "PYTHONPATH": str(tree)}
        url = self.oparl["one-paper"].system_url
        subprocess.run(
            [sys.executable, "-m", "ris_connector", "-q", "sync", "--oparl", url, "--db", db],
            env=env,
            cwd=str(tree),
            capture_output=True,
            check=False,
            timeout=120,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", action="append", default=[], help="NAME=PATH of a checkout (repeatable)")
    parser.add_argument("--case", action="append", choices=CASES, help="only these cases (repeatable)")
    parser.add_argument("--big-pages", type=int, default=12, help="pages of 95 MB in big-pages (default 12)")
    parser.add_argument("--endless-pages", type=int, default=5000, help="page cap of the endless chain")
    parser.add_argument("--webhook-mb", type=int, default=1500, help="size of the webhook's answer (MB)")
    parser.add_argument("--soap-meetings", type=int, default=180_000, help="meetings in the SOAP answer (~77 MB)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a case is killed")
    parser.add_argument("--retry-timeout", type=float, default=120, help="seconds before retry-after is killed")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        sys.exit(_child(args.child))
    trees = [t.split("=", 1) for t in args.tree] or [["this", str(ROOT)]]
    bench = Bench(args)
    lock = threading.Lock()
    try:
        print("| case | tree | wall s | peak RSS MB | outcome |")
        print("| --- | --- | ---: | ---: | --- |")
        for case in args.case or CASES:
            for name, path in trees:
                tree = Path(path).resolve()
                with tempfile.TemporaryDirectory(prefix="hostile-") as folder, lock:
                    argv, timeout = bench.argv(case, tree, Path(folder))
                    result = _run(tree, argv, timeout)
                    extra = ""
                    server = bench.oparl.get(case.replace("-raised", ""))
                    if server is not None:
                        extra = f", {server.pages_served} list pages served"
                        server.pages_served = 0
                outcome = (_outcome(result) + extra).replace("|", "/")
                peak = "-" if result["exit"] == "killed" else f"{result['peak_mb']:.0f}"  # killed: not measured
                print(f"| {case} | {name} | {result['seconds']:.1f} | {peak} | {outcome} |", flush=True)
    finally:
        bench.close()


if __name__ == "__main__":
    main()
