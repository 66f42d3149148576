"""Run a command in a child process with a time limit and an address-space cap, and report its
exit status, output, wall time and peak RSS.

The peak is the child's ``VmHWM`` (Linux), polled while it runs: its high-water mark since
``exec``. ``ru_maxrss`` of ``os.wait4`` is only the fallback for a child too short to be polled:
a child started with ``preexec_fn`` is forked, and its ``ru_maxrss`` includes the parent's memory
at fork time (a pytest process late in a full suite: 400 MB).

Used by the hostile-input tests and by ``bench/ics_hostile.py``: a hang is killed at
``timeout`` (its process group), a memory blow-up ends at ``memory_mb`` of address space
instead of taking the machine down.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


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


def vm_hwm_mb(pid: int) -> float | None:
    """The peak RSS of process ``pid`` since its ``exec``, in MB (None once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def run_measured(
    args: Sequence[str],
    *,
    timeout: float,
    memory_mb: int = 2048,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> Measured:
    """Run ``args``; kill it after ``timeout`` seconds; cap its address space at ``memory_mb``."""

    def limit() -> None:  # in the child, before exec
        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            list(args),
            stdout=out,
            stderr=err,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            preexec_fn=limit,
            start_new_session=True,
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        peaks: list[float] = []
        done = threading.Event()

        def poll() -> None:
            while not done.is_set():
                peak = vm_hwm_mb(proc.pid)
                if peak is not None and peak > 0:
                    peaks.append(peak)
                done.wait(0.02)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            done.set()
            timer.cancel()
        poller.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Measured(
            None if timed_out.is_set() else proc.returncode,
            out.read().decode("utf-8", errors="replace"),
            err.read().decode("utf-8", errors="replace"),
            seconds,
            max(peaks) if peaks else usage.ru_maxrss / 1024,
            timed_out.is_set(),
        )


def cli(*args: str) -> list[str]:
    """The command line of ``ris-connector`` with this interpreter."""
    return [sys.executable, "-m", "ris_connector", *args]
