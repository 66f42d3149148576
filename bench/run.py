"""Benchmark: ris-connector sync against a bare page walker on the same local OParl server.

    python bench/run.py --scale 1.0 --latency 0 --latency 0.1 [--connections 4] [--out bench/results]
    python bench/run.py --scale 1.0 --scale 2.0 --latency 0      # memory: does RSS grow with the town?
    python bench/run.py --scale 1.0 --latency 0 --floor --repeat 3  # the floor of the same run beside each ratio

For each latency it starts ``bench/server.py`` (a spec-faithful OParl 1.1 server in its own
process), runs the baseline walker (requests + json.loads of every list page, nothing else),
then ``ris-connector sync`` as a subprocess: a full sync, an incremental sync with nothing
changed, and an incremental sync after 1% of the objects changed. It prints a Markdown table
with wall time, objects per second (top-level list entries), the ratio to the walker's wall
time, peak RSS and CPU time of the sync process, requests and retries.

With ``--floor`` each round also runs ``bench/floors.py``'s OParl floor (the walker plus
validating, dumping, hashing and storing every listed object as one row, nothing else) right
after the walker against the same server, and the full sync's wall time is also given as a
ratio to that floor: on a machine shared with other work, the floor of the same round moves
with the load as the sync does. ``--repeat N`` runs N rounds (walker, floor, syncs) per
latency and ends with the median of each ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent


@dataclass
class Result:
    """One measured run."""

    name: str
    latency: float
    scale: float
    wall_s: float
    objects: int
    requests: int
    retries: int = 0
    peak_rss_mb: float | None = None
    cpu_s: float | None = None
    ratio: float | None = None
    floor_ratio: float | None = None

    @property
    def per_s(self) -> float:
        return self.objects / self.wall_s if self.wall_s else 0.0


class BenchServer:
    """bench/server.py in a subprocess."""

    def __init__(self, scale: float, page_size: int, latency: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "server.py"), "--scale", str(scale), "--page-size", str(page_size),
             "--latency", str(latency)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline().split()
        if not ready or ready[0] != "READY":
            raise RuntimeError(f"bench server did not start: {ready}")
        self.url, self.objects = ready[1], int(ready[2])

    def command(self, line: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            self.command("quit")
        self.proc.wait(timeout=30)


def walk(system_url: str) -> tuple[int, int]:
    """The baseline: GET and json.loads every list page of every body. (objects, requests)"""
    session = requests.Session()
    requests_made = 0

    def get(url: str) -> object:
        nonlocal requests_made
        requests_made += 1
        response = session.get(url, timeout=120)
        response.raise_for_status()
        return json.loads(response.content)

    system = get(system_url)
    assert isinstance(system, dict)
    objects = 0
    url: str | None = system["body"]
    bodies: list[dict[str, object]] = []
    while url:
        page = get(url)
        assert isinstance(page, dict)
        bodies.extend(page["data"])
        url = page.get("links", {}).get("next")
    for body in bodies:
        for key in ("organization", "person", "membership", "meeting", "agendaItem", "paper", "consultation",
                    "file", "locationList", "legislativeTermList"):  # fmt: skip
            url = body.get(key)  # type: ignore[assignment]
            while isinstance(url, str):
                page = get(url)
                assert isinstance(page, dict)
                objects += len(page["data"])
                url = page.get("links", {}).get("next")
    return objects, requests_made


def run_sync(config: Path, db: Path) -> tuple[float, dict[str, object], float, float]:
    """``ris-connector sync`` in a subprocess: (wall s, report, peak RSS MB, CPU s)."""
    cmd = [sys.executable, "-m", "ris_connector", "-q", "sync", "--config", str(config), "--db", str(db), "--json"]
    start = time.perf_counter()
    # Not the caller's working directory: ``-m`` puts it first on sys.path, so a checkout there
    # would be synced instead of the code on PYTHONPATH (an A/B of two versions ran one twice).
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=config.parent)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"sync failed ({status}): {err.decode()[-2000:]}")
    return wall, json.loads(out), usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def bench_latency(args: argparse.Namespace, scale: float, latency: float, workdir: Path) -> list[Result]:
    server = BenchServer(scale, args.page_size, latency)
    results: list[Result] = []
    try:
        for round_ in range(args.repeat):
            results += bench_round(args, server, scale, latency, workdir / f"round{round_}")
    finally:
        server.close()
    return results


def bench_floor(server: BenchServer, latency: float, scale: float, workdir: Path) -> Result:
    """``bench/floors.py``'s OParl floor against the same server: walk, validate, dump, hash, one row."""
    from floors import Table, oparl_stored  # floors imports this module

    t0, cpu0 = time.perf_counter(), time.process_time()
    stored, _ = oparl_stored(server.url, Table(workdir / "floor.db"))
    wall = time.perf_counter() - t0
    floor = Result("floor (walker + validate, dump, hash, one row)", latency, scale, wall, stored, 0)
    floor.cpu_s = time.process_time() - cpu0  # this process: the floor runs in it (the server does not)
    return floor


def bench_round(
    args: argparse.Namespace, server: BenchServer, scale: float, latency: float, workdir: Path
) -> list[Result]:
    """One round: the walker, the floor (``--floor``), a full sync and two incremental ones."""
    workdir.mkdir(parents=True, exist_ok=True)
    results: list[Result] = []
    t0 = time.perf_counter()
    objects, walker_requests = walk(server.url)
    walker = Result("walker (requests + json.loads)", latency, scale, time.perf_counter() - t0, objects,
                    walker_requests)  # fmt: skip
    results.append(walker)
    floor = bench_floor(server, latency, scale, workdir) if args.floor else None
    if floor is not None:
        floor.ratio = floor.wall_s / walker.wall_s
        results.append(floor)
    config = workdir / f"bench-{scale}-{latency}.toml"
    config.write_text(
        "[[source]]\n"
        'name = "bench"\nadapter = "oparl"\n'
        f'url = "{server.url}"\n'
        "[source.http]\n"
        f"rate_limit = 0\nmax_connections = {args.connections}\n",
        encoding="utf-8",
    )
    db = workdir / f"bench-{scale}-{latency}.db"
    for name, prepare in (("full sync", None), ("incremental, nothing changed", None),
                          ("incremental, 1% changed", "touch 0.01")):  # fmt: skip
        if prepare:
            server.command(prepare)
        wall, report, rss, cpu = run_sync(config, db)
        results.append(
            Result(name, latency, scale, wall, objects if name == "full sync" else 0, int(report["requests"]),  # type: ignore[call-overload]
                   int(report["retries"]), rss, cpu, wall / walker.wall_s)  # type: ignore[call-overload]
        )  # fmt: skip
        if name == "full sync" and floor is not None:
            results[-1].floor_ratio = wall / floor.wall_s
        if name != "full sync":
            totals = report["totals"]
            assert isinstance(totals, dict)
            results[-1].objects = sum(int(totals.get(k, 0)) for k in ("created", "updated", "deleted"))
    return results


def table(results: list[Result]) -> str:
    lines = [
        "| scale | latency | run | wall s | objects/s | ratio to walker | ratio to floor | peak RSS MB | CPU s "
        "| CPU µs/object | requests | retries |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    listed = {(r.scale, r.latency): r.objects for r in results if r.name.startswith("walker")}
    for r in results:
        shown = r.name.startswith(("walker", "floor")) or r.name == "full sync"
        per_s = f"{r.per_s:,.0f}" if r.objects and shown else "-"
        per_object = (
            f"{r.cpu_s / listed[r.scale, r.latency] * 1e6:.0f}"
            if r.cpu_s and (r.name == "full sync" or r.name.startswith("floor"))
            else ""
        )
        lines.append(
            f"| {r.scale:g} | {r.latency * 1000:.0f} ms | {r.name} | {r.wall_s:.2f} | {per_s} | "
            f"{'' if r.ratio is None else f'{r.ratio:.2f}'} | "
            f"{'' if r.floor_ratio is None else f'{r.floor_ratio:.2f}'} | "
            f"{'' if r.peak_rss_mb is None else f'{r.peak_rss_mb:.0f}'} | "
            f"{'' if r.cpu_s is None else f'{r.cpu_s:.2f}'} | {per_object} | {r.requests} | {r.retries} |"
        )
    return "\n".join(lines)


def medians(results: list[Result]) -> str:
    """The median of each ratio per scale, latency and run over the rounds."""
    lines = []
    keys = dict.fromkeys((r.scale, r.latency, r.name) for r in results if r.ratio is not None)
    for scale, latency, name in keys:
        same = [r for r in results if (r.scale, r.latency, r.name) == (scale, latency, name)]
        walker = statistics.median(r.ratio or 0 for r in same)
        text = f"scale {scale:g}, {latency * 1000:.0f} ms, {name}: ratio to walker median {walker:.2f}"
        floors = [r.floor_ratio for r in same if r.floor_ratio is not None]
        if floors:
            text += f", ratio to floor median {statistics.median(floors):.2f}"
        cpus = [r.cpu_s for r in same if r.cpu_s is not None]
        if cpus:
            text += f", CPU median {statistics.median(cpus):.2f} s"
        lines.append(f"{text} ({len(same)} rounds)")
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, action="append", help="dataset scale (repeatable; default 1.0)")
    parser.add_argument("--latency", type=float, action="append", help="seconds per request (repeatable)")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--floor", action="store_true", help="run the floor (bench/floors.py) in every round")
    parser.add_argument("--repeat", type=int, default=1, help="rounds per scale and latency (median at the end)")
    parser.add_argument("--out", type=Path, default=None, help="also write the table and JSON here")
    args = parser.parse_args()
    latencies = args.latency or [0.0, 0.1]
    scales = args.scale or [1.0]
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        for scale in scales:
            for latency in latencies:
                results.extend(bench_latency(args, scale, latency, Path(tmp)))
                print(table(results), flush=True)
    text = table(results)
    header = f"page size {args.page_size}, {args.connections} connections, {os.cpu_count()} CPUs"
    print(f"\n{header}\n\n{text}\n\n{medians(results)}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "table.md").write_text(f"{header}\n\n{text}\n\n{medians(results)}\n", encoding="utf-8")
        (args.out / "results.json").write_text(json.dumps([r.__dict__ for r in results], indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
