"""Clients that hold a server's connections (idle ones and slowloris ones) and a request load.

Used by ``tests/security/test_serve_slow_clients.py`` and ``bench/serve_load.py``, against a
real ``ris-connector serve`` process on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

_SLOW_BYTES = b"GET /system HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 4000


class SlowClients:
    """``idle`` connections that send nothing and ``slowloris`` ones sending a header byte per ``interval``."""

    def __init__(self, host: str, port: int, *, idle: int, slowloris: int, interval: float = 1.0) -> None:
        self.address = (host, port)
        self.idle_count, self.slow_count, self.interval = idle, slowloris, interval
        self.idle: list[socket.socket] = []
        self.slow: list[socket.socket] = []
        self.sent = 0
        self.refused = 0
        """Connections that could not be opened (the server accepted none for 3 s)."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def __enter__(self) -> SlowClients:
        for held, count in ((self.idle, self.idle_count), (self.slow, self.slow_count)):
            for _ in range(count):
                if self.refused >= 3:  # a server that accepts nobody: stop trying, fail fast
                    break
                try:
                    sock = socket.create_connection(self.address, timeout=3)
                except OSError:
                    self.refused += 1
                    continue
                sock.settimeout(None)  # blocking: MSG_DONTWAIT peeks answer at once
                held.append(sock)
        self._thread.start()
        return self

    def _trickle(self) -> None:
        position = 0
        while not self._stop.wait(self.interval if position else 0):
            byte = _SLOW_BYTES[position % len(_SLOW_BYTES) : position % len(_SLOW_BYTES) + 1]
            for sock in self.slow:
                try:
                    sock.send(byte)
                    self.sent += 1
                except OSError:
                    pass
            position += 1

    def open_count(self) -> int:
        """How many of the held connections the server has not closed."""
        return sum(1 for s in [*self.idle, *self.slow] if _is_open(s))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in [*self.idle, *self.slow]:
            sock.close()


def _is_open(sock: socket.socket) -> bool:
    try:
        data = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return True  # nothing to read, not closed
    except OSError:
        return False
    return bool(data)  # b"" = closed by the server; bytes = an answer waiting (still open)


@dataclass
class LoadResult:
    """Requests that succeeded and failed, and the latency of each success (seconds)."""

    ok: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    def percentile(self, p: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def load(url: str, count: int, *, workers: int = 4, timeout: float = 10.0, give_up_after: int = 8) -> LoadResult:
    """GET ``url`` ``count`` times from ``workers`` threads (a new connection each); stop after
    ``give_up_after`` failures so a stalled server fails fast."""
    result = LoadResult()
    lock = threading.Lock()
    t0 = time.monotonic()

    def one(_: int) -> None:
        with lock:
            if result.failed >= give_up_after:
                return
        start = time.monotonic()
        try:
            response = requests.get(url, timeout=timeout, headers={"Connection": "close"})
            good = response.status_code == 200 and response.json().get("type", "").endswith("System")
            why = f"HTTP {response.status_code}"
        except (requests.RequestException, ValueError) as exc:
            good, why = False, type(exc).__name__
        with lock:
            if good:
                result.ok += 1
                result.latencies.append(time.monotonic() - start)
            else:
                result.failed += 1
                if len(result.errors) < 3:
                    result.errors.append(why)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(count)))
    result.elapsed = time.monotonic() - t0
    return result


@contextmanager
def serve_process(db: Path, *extra: str, pythonpath: Sequence[str] = ()) -> Iterator[str]:
    """``ris-connector serve --db DB --port 0`` in its own process; yields its base URL."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(pythonpath)} if pythonpath else None
    proc = subprocess.Popen(
        [sys.executable, "-m", "ris_connector", "serve", "--db", str(db), "--port", "0", *extra],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=db.parent,  # not the source tree: PYTHONPATH decides which ris_connector runs
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"OParl 1\.1 endpoint: (\S+)/system", line)
        if found is None:
            raise RuntimeError(f"serve did not start: {line}{proc.stderr.read() if proc.poll() is not None else ''}")
        yield found.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
