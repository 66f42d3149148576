"""Prometheus metrics read from the store: the same numbers from ``serve``, a CLI sync's textfile
and a Celery worker's endpoint, whichever process ran the syncs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from ris_connector.metrics import StoreCollector, registry_for
from ris_connector.outputs.mount import with_operations
from ris_connector.outputs.oparl import create_app
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore, Store
from tests.support.ristest import ROOT
from tests.support.wsgi_serve import serve_wsgi

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """name + sorted labels -> value, for every sample of an exposition."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(data: Samples, name: str, **labels: str) -> float:
    return data[(name, tuple(sorted(labels.items())))]


def scrape(store: Store) -> Samples:
    from prometheus_client import generate_latest

    return samples(generate_latest(registry_for(StoreCollector(store))).decode())


def test_metrics_of_every_health_and_status(ops_store: SQLiteStore) -> None:
    m = scrape(ops_store)
    records = {
        labels[1][1]: v for (name, labels), v in m.items() if name == "ris_connector_records" and labels[0][1] == "town"
    }
    assert records == {t: float(n) for (src, t), n in ops_store.record_counts().items() if src == "town"}
    assert records["Meeting"] > 0
    health = {
        dict(labels)["source"]: dict(labels)["status"]
        for (name, labels), v in m.items()
        if name == "ris_connector_source_health" and v == 1.0
    }
    assert health == {
        "town": "ok",
        "degraded-town": "degraded",
        "old-town": "stale",
        "broken-town": "failed",
        "evil": "incomplete",
    }
    # A status the code does not know (degraded) is exported like any other.
    assert value(m, "ris_connector_last_run_status", source="degraded-town", status="degraded") == 1.0
    assert value(m, "ris_connector_runs_total", source="degraded-town", status="degraded") == 1.0
    assert value(m, "ris_connector_runs_total", source="degraded-town", status="complete") == 1.0
    assert value(m, "ris_connector_last_run_records", source="degraded-town", type="Meeting", kind="quarantined") == 9
    assert value(m, "ris_connector_run_records_total", source="degraded-town", type="Meeting", kind="created") == 3
    assert value(m, "ris_connector_errors_total", source="broken-town", **{"class": "ServerError"}) == 1
    assert value(m, "ris_connector_errors_total", source="evil", **{"class": "InvalidPayload"}) == 1
    assert value(m, "ris_connector_last_run_warnings", source="degraded-town") == 4
    town = ops_store.runs("town")[0]
    assert value(m, "ris_connector_requests_total", source="town") == town.report["requests"]  # type: ignore[index]
    assert value(m, "ris_connector_run_duration_seconds_count", source="broken-town") == 2
    assert value(m, "ris_connector_run_duration_seconds_sum", source="broken-town") == 25.0
    assert (
        71 * 3600
        < m[("ris_connector_last_complete_run_timestamp_seconds", (("source", "town"),))]
        - m[("ris_connector_last_complete_run_timestamp_seconds", (("source", "old-town"),))]
        < 73 * 3600
    )


def test_counters_follow_new_runs_of_other_processes(tmp_path: Path, oparl_server: type[OParlServer]) -> None:
    """One collector (as ``serve`` holds it) scraped before and after a sync by another process."""
    srv = oparl_server(scale=0.002)
    db = tmp_path / "ris.db"
    cli = [
        sys.executable,
        "-m",
        "ris_connector",
        "-q",
        "sync",
        "--oparl",
        srv.system_url,
        "--name",
        "town",
        "--db",
        str(db),
    ]
    assert subprocess.run(cli, capture_output=True, timeout=120).returncode == 0
    store = SQLiteStore(db)
    collector = StoreCollector(store)
    from prometheus_client import generate_latest

    first = samples(generate_latest(registry_for(collector)).decode())
    assert value(first, "ris_connector_runs_total", source="town", status="complete") == 1
    srv.dataset.update(srv.dataset.ids("Paper")[0], name="Neu", modified=datetime.now(timezone.utc))
    assert subprocess.run(cli, capture_output=True, timeout=120).returncode == 0
    second = samples(generate_latest(registry_for(collector)).decode())
    assert value(second, "ris_connector_runs_total", source="town", status="complete") == 2
    assert value(second, "ris_connector_run_records_total", source="town", type="Paper", kind="updated") == 1
    assert value(second, "ris_connector_last_run_records", source="town", type="Paper", kind="updated") == 1
    assert value(second, "ris_connector_requests_total", source="town") > value(
        first, "ris_connector_requests_total", source="town"
    )
    store.close()


def test_textfile_after_a_cli_sync_and_serve_agree(tmp_path: Path, oparl_server: type[OParlServer]) -> None:
    srv = oparl_server(scale=0.002)
    db, prom = tmp_path / "ris.db", tmp_path / "textfile" / "ris.prom"
    prom.parent.mkdir()
    cli = [sys.executable, "-m", "ris_connector", "-q", "sync", "--oparl", srv.system_url, "--name", "town"]
    cli += ["--db", str(db), "--metrics-textfile", str(prom)]
    done = subprocess.run(cli, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert os.listdir(prom.parent) == ["ris.prom"]  # written beside and renamed: no temporary left
    from_file = samples(prom.read_text())
    assert value(from_file, "ris_connector_runs_total", source="town", status="complete") == 1
    assert value(from_file, "ris_connector_source_max_age_seconds", source="town") == 26 * 3600
    store = SQLiteStore(db)
    with serve_wsgi(with_operations(create_app(store), store)) as base:
        answer = requests.get(f"{base}/metrics", timeout=10)
    store.close()
    assert answer.headers["Content-Type"].startswith("text/plain")
    served = samples(answer.text)
    same = [k for k in from_file if not k[0].endswith("_created")]
    assert {k: served[k] for k in same} == {k: from_file[k] for k in same}


def test_textfile_into_a_missing_directory_is_a_config_error(tmp_path: Path, oparl_server: type[OParlServer]) -> None:
    srv = oparl_server(scale=0.002)
    cli = [sys.executable, "-m", "ris_connector", "sync", "--oparl", srv.system_url, "--db", str(tmp_path / "r.db")]
    done = subprocess.run(
        [*cli, "--metrics-textfile", str(tmp_path / "nope" / "x.prom")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and "no such directory" in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_celery_worker_serves_the_stores_metrics(tmp_path: Path, oparl_server: type[OParlServer]) -> None:
    """A real worker with RIS_METRICS_PORT: after its task, and after a CLI sync by another
    process, its endpoint counts both runs (the numbers come from the store)."""
    base = os.environ.get("RIS_TEST_REDIS_URL")
    if not base:
        pytest.skip("RIS_TEST_REDIS_URL is not set; .ci/run sets it (.ci/setup.d/20-redis.sh)")
    import redis

    from tests.support.fleet import Fleet, toml_source, wait_for, write_config

    broker = base if base.rstrip("/").rsplit("/", 1)[-1].isdigit() else base.rstrip("/") + "/1"
    redis.Redis.from_url(broker).flushdb()
    srv = oparl_server(scale=0.002)
    db = tmp_path / "fleet.db"
    config = write_config(tmp_path / "fleet.toml", str(db), [toml_source("town", srv.system_url, interval="2h")])
    port = _free_port()
    fleet = Fleet(config, str(db), broker, tmp_path, env={"RIS_METRICS_PORT": str(port)})
    fleet.start_worker("w1")
    try:
        fleet.wait_ready()
        fleet.send("town")
        url = f"http://127.0.0.1:{port}/metrics"

        def runs() -> float:
            try:
                data = samples(requests.get(url, timeout=5).text)
            except requests.RequestException:
                return 0.0
            return data.get(("ris_connector_runs_total", (("source", "town"), ("status", "complete"))), 0.0)

        wait_for("the worker's run in its metrics", lambda: runs() == 1.0, 60, fleet)
        cli = [sys.executable, "-m", "ris_connector", "-q", "sync", "--config", str(config)]
        assert subprocess.run(cli, capture_output=True, timeout=120).returncode == 0
        assert runs() == 2.0
        data = samples(requests.get(url, timeout=5).text)
        assert value(data, "ris_connector_source_max_age_seconds", source="town") == 4 * 3600
    finally:
        fleet.stop()


def test_alert_rules_and_dashboard_use_only_exported_metrics(ops_store: SQLiteStore) -> None:
    """The examples in docs/monitoring/ name metrics and labels the collector really exports."""
    import json
    import re

    import yaml

    exported = {name for name, _ in scrape(ops_store)}
    labels = {k for _, lbls in scrape(ops_store) for k, _ in lbls}
    docs = ROOT / "docs" / "monitoring"
    rules = yaml.safe_load((docs / "ris-connector.rules.yml").read_text(encoding="utf-8"))
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    assert {r["alert"] for g in rules["groups"] for r in g["rules"]} >= {
        "RisSourceStale",
        "RisSourceDegraded",
        "RisSourceFailing",
    }
    dashboard = json.loads((docs / "grafana-dashboard.json").read_text(encoding="utf-8"))
    exprs += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {m for e in exprs for m in re.findall(r"ris_connector_\w+", e)}
    assert used and used <= exported, sorted(used - exported)
    by_labels = {lbl for e in exprs for group in re.findall(r"by \(([^)]*)\)", e) for lbl in group.split(", ")}
    assert by_labels <= labels, sorted(by_labels - labels)
