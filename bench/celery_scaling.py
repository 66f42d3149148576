"""Measure how many sources a Celery fleet syncs per hour, with 1, 2 and 4 workers.

Each source is a local sample OParl server (small: scale 0.002, about 320 records) that waits
``--latency`` seconds before every answer, as a remote RIS does. For each worker count the
script starts that many ``celery -A ris_connector.celery.app worker --concurrency 1`` processes
over Redis and a fresh PostgreSQL schema, sends one tick for every source (first a full sync,
then a second, incremental tick) and times each tick until every source has a complete run.

    RIS_TEST_REDIS_URL=redis://127.0.0.1:6391 \\
    RIS_TEST_POSTGRES_URL=postgresql://ris_test:ris_test@127.0.0.1:5432/ris_test \\
    python bench/celery_scaling.py --sources 40 --workers 1 2 4 --latency 0.1
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import redis
from celery import Celery

from ris_connector.celery.factory import create_app
from ris_connector.celery.schedule import TASK_NAME
from ris_connector.celery.settings import FleetSettings
from ris_connector.sample.server import OParlServer
from ris_connector.store import Store, open_store


def _schema(base: str) -> tuple[str, str]:
    name = "bench_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in base else "?"
    return name, f"{base}{sep}options={quote(f'-csearch_path={name}', safe='')}"


def _drop(base: str, name: str) -> None:
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def _tick(app: Celery, store: Store, names: list[str], tick: int, timeout: float) -> tuple[float, int]:
    """Send one task per source; seconds until every source has ``tick`` complete runs, and requests."""
    t0 = time.monotonic()
    for n in names:
        app.send_task(TASK_NAME, args=[n])
    while time.monotonic() - t0 < timeout:
        runs = [r for r in store.runs(None, limit=100000) if r.status == "complete"]
        if len(runs) >= tick * len(names):
            elapsed = time.monotonic() - t0
            requests = sum((r.report or {}).get("requests", 0) for r in runs)
            return elapsed, requests
        time.sleep(0.2)
    raise SystemExit(f"tick {tick} did not finish within {timeout}s")


def measure(
    workers: int, n_sources: int, latency: float, pg_base: str, redis_base: str, workdir: Path
) -> dict[str, float]:
    """One fleet of ``workers`` processes: seconds and requests for a full and an incremental tick."""
    schema, db = _schema(pg_base)
    broker = redis_base.rstrip("/") + "/2"
    redis.Redis.from_url(broker).flushdb()
    servers = [OParlServer(scale=0.002, latency=latency).start() for _ in range(n_sources)]
    names = [f"town{i:03d}" for i in range(n_sources)]
    config = workdir / f"fleet-{workers}.toml"
    tables = [
        f'[[source]]\nname = "{n}"\nadapter = "oparl"\nurl = "{s.system_url}"\n'
        for n, s in zip(names, servers, strict=True)
    ]
    config.write_text(f'db = "{db}"\n\n' + "\n".join(tables), encoding="utf-8")
    env = {**os.environ, "RIS_CONFIG": str(config), "RIS_BROKER_URL": broker}
    procs = []
    app = create_app(FleetSettings(config=str(config), broker_url=broker))
    store = open_store(db)
    try:
        for i in range(workers):
            cmd = [sys.executable, "-m", "celery", "-A", "ris_connector.celery.app", "worker", "--concurrency", "1"]
            cmd += ["--hostname", f"bench{i}@%h", "--loglevel", "WARNING", "--without-gossip", "--without-mingle"]
            log = (workdir / f"w{workers}-{i}.log").open("wb")
            procs.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(app.control.ping(timeout=0.5) or []) < workers:
            pass
        full_s, full_req = _tick(app, store, names, 1, 1800)
        incr_s, total_req = _tick(app, store, names, 2, 1800)
        return {
            "workers": workers,
            "full_s": full_s,
            "full_requests_per_source": full_req / n_sources,
            "incremental_s": incr_s,
            "incremental_requests_per_source": (total_req - full_req) / n_sources,
        }
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        store.close()
        app.close()
        for s in servers:
            s.stop()
        _drop(pg_base, schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=40)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--latency", type=float, default=0.1, help="seconds the servers wait before each answer")
    args = parser.parse_args()
    pg = os.environ.get("RIS_TEST_POSTGRES_URL")
    rd = os.environ.get("RIS_TEST_REDIS_URL")
    if not pg or not rd:
        raise SystemExit("set RIS_TEST_POSTGRES_URL and RIS_TEST_REDIS_URL (.ci/setup.d/10-postgres.sh, 20-redis.sh)")
    load = os.getloadavg()
    print(f"{args.sources} sources, latency {args.latency}s per request, {os.cpu_count()} CPUs, load {load[0]:.1f}")
    print("workers  tick         seconds  req/source  sources/hour  per worker/hour")
    with tempfile.TemporaryDirectory() as tmp:
        for w in args.workers:
            r = measure(w, args.sources, args.latency, pg, rd, Path(tmp))
            for kind in ("full", "incremental"):
                secs = r[f"{kind}_s"]
                rate = args.sources / secs * 3600
                print(
                    f"{w:>7}  {kind:<11} {secs:>8.1f}  {r[f'{kind}_requests_per_source']:>10.1f}"
                    f"  {rate:>12.0f}  {rate / w:>15.0f}",
                    flush=True,
                )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
