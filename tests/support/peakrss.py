"""Run a command in a child process and measure its peak resident memory (VmHWM, Linux).

The high-water mark is polled from ``/proc/<pid>/status`` while the child runs, so a child
killed at the timeout still has a figure, and only the child's own memory counts (not the
parent's at fork time, as ``ru_maxrss`` of a forked child would).
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    """How a child process ended: exit status (None: killed at the timeout), seconds, peak MB."""

    returncode: int | None
    seconds: float
    peak_mb: float
    stdout: str
    stderr: str


def vm_hwm_mb(pid: int) -> float | None:
    """The peak RSS of process ``pid`` so far, in MB (None once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def measured_run(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | None = None, timeout: float = 600
) -> Measured:
    """Run ``argv``; its exit status, wall time, peak RSS and output (stderr: the first 200 kB)."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(list(argv), env=dict(env) if env else None, cwd=cwd, stdout=out, stderr=err)
        peak = 0.0
        killed = False
        while proc.poll() is None:
            peak = max(peak, vm_hwm_mb(proc.pid) or 0.0)
            if time.monotonic() - started > timeout:
                proc.kill()
                proc.wait()
                killed = True
                break
            time.sleep(0.02)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Measured(
            None if killed else proc.returncode,
            seconds,
            peak,
            out.read().decode("utf-8", "replace"),
            err.read(200_000).decode("utf-8", "replace"),
        )
