"""Secrets come from the environment or a file and never show up in logs, reports, the store or errors."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ris_connector.config import load_config, source_from_mapping
from ris_connector.errors import ConfigError, SourceError
from ris_connector.http import HttpClient
from ris_connector.store import open_store
from ris_connector.sync import run_source
from tests.support.faulty_server import FaultyServer
from tests.support.ristest import OParlFactory
from tests.support.storecheck import query


@pytest.fixture
def faulty() -> Iterator[FaultyServer]:
    with FaultyServer() as server:
        yield server


def test_password_env_and_token_file_reach_the_home_host_only(
    faulty: FaultyServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "pw-" + uuid.uuid4().hex
    monkeypatch.setenv("RIS_TEST_SECRET", secret)
    src = source_from_mapping(
        {
            "name": "s",
            "adapter": "oparl",
            "url": faulty.url("/json"),
            "http": {"username": "ris", "password_env": "RIS_TEST_SECRET"},
        }
    )
    with HttpClient(faulty.url("/json"), src.http) as http:
        http.get(faulty.url("/json"))
    sent = faulty.requests[-1].headers["Authorization"]
    assert sent == "Basic " + base64.b64encode(f"ris:{secret}".encode()).decode()
    assert secret not in repr(src) and secret not in str(src.model_dump())

    token_file = tmp_path / "token"
    token_file.write_text("tok-" + secret + "\n", encoding="utf-8")
    http_settings = {"token_file": str(token_file), "allowed_hosts": ["localhost"]}
    src = source_from_mapping({"name": "s", "adapter": "oparl", "url": faulty.url("/json"), "http": http_settings})
    with HttpClient(faulty.url("/json"), src.http) as http:
        http.get(faulty.url("/json"))
        # A redirect to another host (allowed, but not home) gets no credentials.
        other = faulty.url("/json").replace("127.0.0.1", "localhost")
        http.get(faulty.url("/redirect/" + other.replace(":", "%3A").replace("/", "%2F")))
    assert faulty.requests[-3].headers["Authorization"] == f"Bearer tok-{secret}"
    assert "Authorization" not in faulty.requests[-1].headers


def test_secret_settings_errors_name_the_problem_not_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RIS_NOT_SET", raising=False)
    with pytest.raises(ConfigError, match="RIS_NOT_SET"):
        source_from_mapping(
            {"name": "s", "adapter": "oparl", "url": "https://x/", "http": {"password_env": "RIS_NOT_SET"}}
        )
    monkeypatch.setenv("RIS_TEST_SECRET", "pw-xyz-123")
    with pytest.raises(ConfigError, match="not both") as info:
        source_from_mapping(
            {
                "name": "s",
                "adapter": "oparl",
                "url": "https://x/",
                "http": {"password": "inline-pw-456", "password_env": "RIS_TEST_SECRET"},
            }
        )
    assert "inline-pw-456" not in str(info.value) and "pw-xyz-123" not in str(info.value)
    with pytest.raises(ConfigError, match="cannot read"):
        source_from_mapping(
            {"name": "s", "adapter": "oparl", "url": "https://x/", "http": {"token_file": str(tmp_path / "nope")}}
        )


def _tables(url: str) -> str:
    """Every row of every table of the store, as text."""
    if url.startswith("postgres"):
        names = [
            n
            for (n,) in query(
                url, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            )
        ]
    else:
        names = [n for (n,) in query(url, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert {"records", "runs", "events", "quarantine", "state"} <= set(names)
    return "\n".join(repr(row) for name in names for row in query(url, f"SELECT * FROM {name}"))


def test_no_secret_in_logs_reports_store_or_errors(
    oparl_server: OParlFactory,
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    password, token = "pw-" + uuid.uuid4().hex, "tok-" + uuid.uuid4().hex
    monkeypatch.setenv("RIS_TEST_SECRET", password)
    (tmp_path / "token").write_text(token, encoding="utf-8")
    needles = {
        "password": password,
        "token": token,
        "basic auth header": base64.b64encode(f"ris:{password}".encode()).decode(),
    }
    good = oparl_server(scale=0.003, quirks={"spurious_500"})  # retries: warnings logged with the URL
    bad = oparl_server(scale=0.003, quirks={"html_200"})  # the run fails: errors in report and log
    cfg = tmp_path / "ris.toml"
    cfg.write_text(
        f"""
[defaults.http]
rate_limit = 0
backoff_initial = 0.01
backoff_max = 0.02
[[source]]
name = "good"
adapter = "oparl"
url = "{good.system_url}"
[source.http]
username = "ris"
password_env = "RIS_TEST_SECRET"
[[source]]
name = "bad"
adapter = "oparl"
url = "{bad.system_url}"
[source.http]
token_file = "{tmp_path / "token"}"
""",
        encoding="utf-8",
    )
    sources = load_config(cfg).sources
    assert sources[0].http.password is not None and sources[0].http.password.get_secret_value() == password

    haystacks: dict[str, str] = {}
    # 1. The CLI at -vv: stderr (logs) and the JSON report on stdout.
    env = {**os.environ, "RIS_TEST_SECRET": password}
    proc = subprocess.run(
        [sys.executable, "-m", "ris_connector.cli", "-vv", "sync", "--config", str(cfg), "--db", store_url, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 3  # "bad" is incomplete
    assert "retrying after" in proc.stderr and "DEBUG" in proc.stderr and "HTML page" in proc.stderr
    haystacks["CLI stderr -vv"], haystacks["CLI JSON report"] = proc.stderr, proc.stdout
    # 2. In-process runs with every logger at DEBUG, and the text of raised errors.
    caplog.set_level(logging.DEBUG)
    store = open_store(store_url)
    try:
        reports = [run_source(s, store, full=True) for s in sources]
        assert [r.status for r in reports] == ["complete", "incomplete"]
        haystacks["in-process reports"] = repr([r.to_json_dict() for r in reports]) + repr(reports)
        errors: list[BaseException] = []
        from ris_connector.adapters.oparl.jsondecode import decode_json

        targets = ((sources[0], good.system_url + "/nothing-here"), (sources[1], bad.list_url("paper")))
        for src, target in targets:
            with HttpClient(src.url or "", src.http, source=src.name) as http:
                try:
                    decode_json(http.get(target))
                except SourceError as exc:
                    errors.append(exc)
        try:
            source_from_mapping(
                {
                    "name": "x",
                    "adapter": "oparl",
                    "url": "https://x/",
                    "http": {"password": password, "read_timeout": -1},
                }
            )
        except ConfigError as exc:
            errors.append(exc)
        assert len(errors) == 3
        haystacks["raised errors"] = "\n".join(
            "".join(traceback.format_exception(type(e), e, e.__traceback__)) + repr(e) + repr(e.args) for e in errors
        )
    finally:
        store.close()
    haystacks["caplog (all loggers, DEBUG)"] = caplog.text + "\n".join(repr(r.args) for r in caplog.records)
    # 3. Every table of the store.
    haystacks["store tables"] = _tables(store_url)

    found = {(where, what): text.count(needle) for where, text in haystacks.items() for what, needle in needles.items()}
    backend = "postgresql" if store_url.startswith("postgres") else "sqlite"
    print(
        f"\nsecret occurrences [{backend}]: {sum(found.values())} in {len(haystacks)} haystacks, "
        f"{sum(len(t) for t in haystacks.values())} characters searched"
    )
    assert not any(found.values()), {k: v for k, v in found.items() if v}
