"""A Celery fleet for tests: sources file, real ``celery worker`` subprocesses, a sending app.

The workers are started with the documented command (``celery -A ris_connector.celery.app
worker``) and configured only through the ``RIS_*`` environment, as in production.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ris_connector.celery.factory import create_app
from ris_connector.celery.schedule import TASK_NAME
from ris_connector.celery.settings import FleetSettings
from ris_connector.sample.server import OParlServer, Response
from ris_connector.store import Store, open_store
from ris_connector.store.ledger import TaskLedger

REDIS_ENV = "RIS_TEST_REDIS_URL"

#: Fleet settings for tests: fast retries, and Redis gives a dead worker's task away after 4 s.
TEST_ENV = {
    "RIS_MAX_RETRIES": "2",
    "RIS_RETRY_BACKOFF": "0.3s",
    "RIS_RETRY_BACKOFF_MAX": "1s",
    "RIS_LOCK_RETRY_DELAY": "0.3s",
    "RIS_LOCK_RETRIES": "60",
    "RIS_VISIBILITY_TIMEOUT": "4s",
}


class GatedServer(OParlServer):
    """An OParl server whose answers can be held back: ``gate.clear()`` stalls every new request."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = threading.Event()
        self.gate.set()

    def handle(self, raw: str) -> Response:
        self.gate.wait(120)
        return super().handle(raw)


def toml_source(name: str, url: str, **extra: Any) -> str:
    """One ``[[source]]`` table."""
    lines = ["[[source]]", f'name = "{name}"', 'adapter = "oparl"', f'url = "{url}"']
    lines += [f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"' for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def write_config(path: Path, db: str, tables: Iterable[str]) -> Path:
    """A sources file with ``db`` and the given ``[[source]]`` tables."""
    path.write_text(f'db = "{db}"\n\n' + "\n".join(tables), encoding="utf-8")
    return path


@dataclass
class Worker:
    """One ``celery worker`` process (its own process group, so it can be killed whole)."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once, as a crashing machine would."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        """Warm shutdown; SIGKILL if it does not end."""
        if self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


@dataclass
class Fleet:
    """Workers and a sending app over one broker, sources file and store."""

    config: Path
    db: str
    broker_url: str
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    workers: dict[str, Worker] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.app = create_app(FleetSettings(config=str(self.config), broker_url=self.broker_url))

    def start_worker(self, name: str) -> Worker:
        """Start ``celery -A ris_connector.celery.app worker`` with one pool process."""
        env = {
            **os.environ,
            **TEST_ENV,
            **self.env,
            "RIS_CONFIG": str(self.config),
            "RIS_BROKER_URL": self.broker_url,
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("RIS_DB", None)
        log = self.workdir / f"{name}.log"
        cmd = [sys.executable, "-m", "celery", "-A", "ris_connector.celery.app", "worker"]
        cmd += ["--loglevel", "INFO", "--concurrency", "1", "--pool", "prefork", "--hostname", f"{name}@test"]
        cmd += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        with log.open("wb") as out:
            proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        worker = Worker(f"{name}@test", proc, log)
        self.workers[worker.name] = worker
        return worker

    def wait_ready(self, timeout: float = 60) -> None:
        """Until every started worker answers a ping."""
        wanted = {n for n, w in self.workers.items() if w.proc.poll() is None}
        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        while time.monotonic() < deadline:
            for reply in self.app.control.ping(timeout=0.5) or []:
                seen.update(reply)
            if wanted <= seen:
                return
        raise AssertionError(f"workers not ready: {sorted(wanted - seen)}; logs: {self.logs()}")

    def send(self, source: str, task_id: str | None = None) -> str:
        """Send one tick of ``source`` as beat would; returns the task id."""
        result = self.app.send_task(TASK_NAME, args=[source], task_id=task_id)
        return str(result.id)

    def logs(self) -> str:
        """The tail of every worker's log (for failure messages)."""
        return "\n".join(f"--- {w.name}\n{w.log.read_text(errors='replace')[-3000:]}" for w in self.workers.values())

    def stop(self) -> None:
        """Stop every worker."""
        for worker in self.workers.values():
            worker.stop()
        self.app.close()


def wait_for(
    what: str, check: Callable[[], bool], timeout: float, fleet: Fleet | None = None, poll: float = 0.2
) -> None:
    """Poll ``check`` until true; AssertionError naming ``what`` (with worker logs) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out waiting for {what}" + (f"\n{fleet.logs()}" if fleet else ""))


def done_tasks(store: Store, source: str) -> list[dict[str, Any]]:
    """Finished tasks of ``source`` according to the fleet's ledger."""
    return TaskLedger(store).done_entries(source)


def open_fresh(db: str) -> Store:
    """A new connection (another process's view)."""
    return open_store(db)
