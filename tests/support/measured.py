"""Run a command in a child process with a time limit and an address-space cap, and report its
exit status, output, wall time and peak RSS (``os.wait4``'s rusage of exactly that child).

Used by the hostile-input tests and by ``bench/ics_hostile.py``: a hang is killed at
``timeout`` (its process group), a memory blow-up ends at ``memory_mb`` of address space
instead of taking the machine down.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Measured:
    """How a child process ended."""

    returncode: int | None
    """Exit status; None if it was killed at the time limit."""
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float
    timed_out: bool


def run_measured(
    args: Sequence[str],
    *,
    timeout: float,
    memory_mb: int = 2048,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> Measured:
    """Run ``args``; kill it after ``timeout`` seconds; cap its address space at ``memory_mb``.

    A small Python between this process and ``args`` sets the cap, runs ``args`` and reports its
    peak RSS from ``wait4``. Measured directly, the child of a large process (pytest after many
    tests) would report the parent's pages: Linux keeps the peak of the memory image replaced at
    ``exec``, and a forked (or vforked) child starts on the parent's.
    """
    cap = memory_mb * 1024 * 1024
    wrapper = (
        "import os, resource, subprocess, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))\n"
        "proc = subprocess.Popen(sys.argv[2:])\n"
        "_, status, usage = os.wait4(proc.pid, 0)\n"
        "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
        "sys.exit(os.waitstatus_to_exitcode(status) % 256)\n"
    )
    peak_file = tempfile.NamedTemporaryFile(delete=False)  # noqa: SIM115 - read after the child ends
    peak_file.close()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-c", wrapper, peak_file.name, *args],
            stdout=out,
            stderr=err,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, _ = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        with open(peak_file.name, encoding="ascii") as peak:
            peak_kb = float(peak.read() or 0)
        os.unlink(peak_file.name)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Measured(
            None if timed_out.is_set() else proc.returncode,
            out.read().decode("utf-8", errors="replace"),
            err.read().decode("utf-8", errors="replace"),
            seconds,
            peak_kb / 1024,
            timed_out.is_set(),
        )


def cli(*args: str) -> list[str]:
    """The command line of ``ris-connector`` with this interpreter."""
    return [sys.executable, "-m", "ris_connector", *args]
