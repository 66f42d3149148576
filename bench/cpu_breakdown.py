"""Benchmark: where a full OParl sync spends its CPU, per listed object and step.

Starts ``bench/server.py`` at ``--scale``, then runs one full sync of it into a fresh SQLite file
in this process while a sampling thread reads the main thread's stack every ``--interval``
seconds (``sys._current_frames``; no tracing, so the steps keep their relative cost; the GIL's
switch interval is shortened so that the sampler gets in often during Python code). The store's
calls are timed exactly instead (``time.thread_time`` around each; marked "timed"): SQLite
releases the GIL while it works, so a sampler that needs the GIL would over-count it. Each
sample is charged to the first step of the table below found on the stack, innermost first;
the rest of the main thread's CPU time (``time.thread_time``) is split in proportion to the
samples, and the process's CPU beyond the main thread and the sampler is the fetch threads' (HTTP, decoding done
there). Printed: a table of µs per listed object per step::

    python bench/cpu_breakdown.py [--scale 0.3] [--interval 0.002]

Run it from two checkouts (``PYTHONPATH=<checkout> python <checkout>/bench/cpu_breakdown.py``) to
see which step a change moved. The sampler and the short switch interval add 5-20 % to the main
thread, spread over the steps: the table compares steps; ``bench/run.py`` gives the totals.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BenchServer

from ris_connector.config import source_from_mapping
from ris_connector.store import SQLiteStore
from ris_connector.sync import run_source

#: (step, what a frame's ``module:function`` must contain), innermost match wins.
STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("SQLite: reference query at the end", ("sqlite:dangling_references",)),
    ("SQLite: absence check", ("sqlite:unseen", "engine:_delete_absent")),
    ("SQLite: stored hashes per batch", ("sqlite:get_hashes", "sqlite:get_data")),
    ("SQLite: batch writes and commit", ("sqlite:apply", "sqlite:_apply", "sqlite:_tx")),
    ("pydantic validation of records", ("records:validate_record",)),
    ("record as JSON data (to_json_dict)", ("base:to_json_dict",)),
    ("content hash", ("base:digest_of_content", "base:content_of")),
    ("stored text, references, aliases (_upsert)", ("engine:_upsert",)),
    ("copies: newest copy, changed records", ("engine:_newest", "engine:_judge")),
    ("OParl mapper (without validation)", ("oparl.mapper:",)),
    ("page decoding", ("oparl.jsondecode:", "oparl.pages:decoded_estimate_over")),
    ("paginator and list walk", ("oparl.pages:", "oparl.adapter:")),
    ("batch-size estimate (record_bytes)", ("engine:record_bytes",)),
    ("admission (URL safety, id ownership, list budget)", ("engine:_admit",)),
    ("engine: batch loop, events, report", ("engine:_flush", "engine:_hold", "engine:_handle")),
    ("engine: run set-up, checkpoints, the rest", ("engine:",)),
    ("start-up and imports", ("_bootstrap",)),
)


#: Store methods timed exactly (``time.thread_time`` around each call) instead of sampled:
#: SQLite releases the GIL while it works, so a GIL-bound sampler over-counts it.
EXACT = {
    "apply": "SQLite: batch writes and commit",
    "get_hashes": "SQLite: stored hashes per batch",
    "get_data": "SQLite: stored hashes per batch",
    "dangling_references": "SQLite: reference query at the end",
    "unseen": "SQLite: absence check",
}


def _timed(method: Callable[..., Any], step: str, spent: dict[str, float]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return method(*args, **kwargs)
        finally:
            spent[step] = spent.get(step, 0.0) + time.thread_time() - start

    return call


def _key(frame: FrameType) -> str:
    module = frame.f_globals.get("__name__", "?")
    short = module.replace("ris_connector.", "").replace("adapters.", "").replace("store.", "").replace("sync.", "")
    return f"{short.rpartition('.')[2] if not short.startswith('oparl') else short}:{frame.f_code.co_name}"


def _step(frame: FrameType | None) -> str:
    keys: list[str] = []
    while frame is not None:
        keys.append(_key(frame))
        frame = frame.f_back
    for key in keys:  # innermost first
        for step, needles in STEPS:
            if any(needle in key for needle in needles):
                return step
    return "other (CLI, logging, threads)"


class Sampler(threading.Thread):
    """Samples one thread's stack at a fixed interval until stopped."""

    def __init__(self, thread_id: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.thread_id, self.interval = thread_id, interval
        self.samples: Counter[str] = Counter()
        self.cpu = 0.0
        self._stop_event = threading.Event()

    def run(self) -> None:
        start = time.thread_time()
        while not self._stop_event.wait(self.interval):
            frame = sys._current_frames().get(self.thread_id)
            self.samples[_step(frame)] += 1
        self.cpu = time.thread_time() - start

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.3)
    parser.add_argument("--interval", type=float, default=0.002)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    server = BenchServer(args.scale, 100, 0.0)
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = source_from_mapping(
                {"name": "bench", "adapter": "oparl", "url": server.url,
                 "http": {"rate_limit": 0, "max_connections": args.connections}}
            )  # fmt: skip
            with SQLiteStore(Path(folder) / "bench.db") as store:
                exact: dict[str, float] = {}
                for name, step in EXACT.items():
                    setattr(store, name, _timed(getattr(store, name), step, exact))
                sampler = Sampler(threading.get_ident(), args.interval)
                before = resource.getrusage(resource.RUSAGE_SELF)
                main_before = time.thread_time()
                switch = sys.getswitchinterval()
                sys.setswitchinterval(args.interval / 4)  # Python code yields the GIL as often as C code
                sampler.start()
                try:
                    report = run_source(config, store, full=True)
                finally:
                    sampler.stop()
                    sys.setswitchinterval(switch)
                main_cpu = time.thread_time() - main_before
                after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        server.close()
    process_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    objects = server.objects
    sampled = Counter(
        {step: n for step, n in sampler.samples.items() if step not in exact and step not in EXACT.values()}
    )
    total = sum(sampled.values()) or 1
    rest = main_cpu - sum(exact.values())  # the main thread's CPU outside the exactly timed calls
    print(f"scale {args.scale}: {objects} listed objects, status {report.status}, "
          f"{report.total('created')} created; process CPU {process_cpu:.2f} s "
          f"({process_cpu / objects * 1e6:.1f} µs per object), main thread {main_cpu:.2f} s, "
          f"sampler {sampler.cpu:.2f} s, {total} samples")  # fmt: skip
    rows: list[tuple[str, float]] = [(f"{step} (timed)", seconds) for step, seconds in exact.items()]
    rows += [(step, rest * count / total) for step, count in sampled.items()]
    print("| step | µs per listed object |\n|---|---|")
    for step, seconds in sorted(rows, key=lambda row: -row[1]):
        print(f"| {step} | {seconds / objects * 1e6:.1f} |")
    fetch = process_cpu - main_cpu - sampler.cpu
    print(f"| fetch threads: HTTP, page reading (process CPU - main - sampler) | {fetch / objects * 1e6:.1f} |")


if __name__ == "__main__":
    main()
