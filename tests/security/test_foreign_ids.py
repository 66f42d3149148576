"""Promise: ids belong to their source.

A record whose id lies outside the source's home host (on its configured port) and
``allowed_hosts``, or in another source's ``urn:ris:`` namespace, is quarantined with the reason
(or, with ``foreign_ids = "rehome"``, stored as ``urn:ris:<source>:<type>:<digest>``). Before,
such ids were stored: whoever claimed an id first owned it, and the real owner's record never
appeared. An id claimed by a second source stays with the first; the second run is
``degraded`` (exit 4) and its report names both sources. Real servers on 127.0.0.1, real
SQLite files, PostgreSQL through ``tests/support/storetest.py``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ris_connector.adapters.base import Adapter, Item
from ris_connector.config import source_from_mapping
from ris_connector.models import Paper
from ris_connector.store import SQLiteStore, open_store
from ris_connector.sync import run_source
from ris_connector.sync.engine import SyncEngine
from tests.support.clirun import cli, cli_json, write_config
from tests.support.hostile_oparl import HostileOParl, Papers, paper
from tests.support.storetest import BACKENDS, store_url_for


@pytest.fixture
def victim() -> Iterator[HostileOParl]:
    with HostileOParl(Papers()) as server:
        server.papers.objects = [paper(f"{server.base_url}/oparl/paper/1", name="Haushalt 2025 (echt)")]
        yield server


@pytest.fixture
def attacker() -> Iterator[HostileOParl]:
    with HostileOParl(Papers()) as server:
        yield server


def _source(name: str, server: HostileOParl, **extra: Any) -> Any:
    return source_from_mapping(
        {"name": name, "adapter": "oparl", "url": server.system_url, "http": {"rate_limit": 0}, **extra}
    )


def _row(store: SQLiteStore, rid: str) -> Any:
    return store.get_data([rid]).get(rid)


def test_an_id_on_a_foreign_host_is_quarantined_with_the_reason(attacker: HostileOParl, tmp_path: Path) -> None:
    own = f"{attacker.base_url}/oparl/paper/own"
    attacker.papers.objects = [
        paper(own),
        paper("https://ris.other-town.example/oparl/paper/7", name="fremd"),
        paper("http://127.0.0.1:1/oparl/paper/8", name="other port of the home host"),
    ]
    with SQLiteStore(tmp_path / "s.db") as store:
        report = run_source(_source("attacker", attacker), store)
        assert _row(store, own) is not None
        assert _row(store, "https://ris.other-town.example/oparl/paper/7") is None
        assert _row(store, "http://127.0.0.1:1/oparl/paper/8") is None
        rows = {q["ref"]: q["reason"] for q in store.quarantined("attacker")}
    assert report.warnings["foreign-id"]["count"] == 2
    assert report.counts["Paper"]["quarantined"] == 2
    assert report.status == "degraded"  # 2 of 3 papers quarantined: more than max_quarantine_fraction
    reason = rows["https://ris.other-town.example/oparl/paper/7"]
    assert "outside the source's hosts" in reason and "allowed_hosts" in reason
    assert "outside the source's hosts" in rows["http://127.0.0.1:1/oparl/paper/8"]


def test_a_foreign_source_cannot_hide_the_real_owners_record(
    victim: HostileOParl, attacker: HostileOParl, tmp_path: Path
) -> None:
    stolen = f"{victim.base_url}/oparl/paper/1"
    attacker.papers.objects = [paper(stolen, name="Gefälscht")]
    with SQLiteStore(tmp_path / "s.db") as store:
        first = run_source(_source("attacker", attacker), store)  # claims the id first
        second = run_source(_source("victim", victim), store)
        row = store.get_data([stolen])[stolen]
        owner = store.get_hashes([stolen])[stolen][2]
    assert first.counts["Paper"]["quarantined"] == 1
    assert second.status == "complete" and "id-conflict" not in second.warnings
    assert owner == "victim" and row["name"] == "Haushalt 2025 (echt)"


def test_hosts_in_allowed_hosts_own_their_ids(victim: HostileOParl, attacker: HostileOParl, tmp_path: Path) -> None:
    theirs = f"{victim.base_url}/oparl/paper/1"
    attacker.papers.objects = [paper(theirs, name="from an allowed host")]
    host_port = victim.base_url.removeprefix("http://")
    source = _source("mirror", attacker, http={"rate_limit": 0, "allowed_hosts": [host_port]})
    with SQLiteStore(tmp_path / "s.db") as store:
        report = run_source(source, store)
        assert _row(store, theirs)["name"] == "from an allowed host"
    assert report.status == "complete" and "foreign-id" not in report.warnings


class _UrnAdapter(Adapter):
    """A plugin-style adapter whose records carry urn ids, one of them another source's."""

    name = "urn-test"
    ids: ClassVar[list[str]] = []

    def fetch(self) -> Iterator[Item]:
        for rid in self.ids:
            yield Paper(id=rid, name="Vorlage")


def test_an_id_in_another_sources_namespace_is_quarantined(tmp_path: Path) -> None:
    _UrnAdapter.ids = ["urn:ris:plugin:Paper:1", "urn:ris:stadtrat:Paper:1", "paper-42"]
    config = source_from_mapping({"name": "plugin", "adapter": "urn-test"})
    with SQLiteStore(tmp_path / "s.db") as store:
        report = SyncEngine(config, store, adapter_cls=_UrnAdapter).run()
        assert _row(store, "urn:ris:plugin:Paper:1") is not None
        assert _row(store, "urn:ris:stadtrat:Paper:1") is None and _row(store, "paper-42") is None
        reasons = {q["ref"]: q["reason"] for q in store.quarantined("plugin")}
    assert "namespace of source 'stadtrat'" in reasons["urn:ris:stadtrat:Paper:1"]
    assert "neither an http(s) URL nor urn:ris:plugin:" in reasons["paper-42"]
    assert report.counts["Paper"]["quarantined"] == 2


def test_rehome_keeps_foreign_ids_under_the_sources_namespace(attacker: HostileOParl, tmp_path: Path) -> None:
    foreign = "https://ris.other-town.example/oparl/paper/7"
    citing = f"{attacker.base_url}/oparl/paper/own"
    attacker.papers.objects = [paper(foreign, name="fremd"), paper(citing, relatedPaper=[foreign])]
    digest = hashlib.blake2b(foreign.encode(), digest_size=16).hexdigest()
    rehomed = f"urn:ris:rehomer:Paper:{digest}"
    with SQLiteStore(tmp_path / "s.db") as store:
        report = run_source(_source("rehomer", attacker, foreign_ids="rehome"), store)
        assert _row(store, foreign) is None
        assert _row(store, rehomed)["name"] == "fremd"
        assert _row(store, citing)["relatedPaper"] == [rehomed]  # the reference meets the re-homed record
        assert store.quarantined("rehomer") == []
    assert report.status == "complete"
    assert report.warnings["foreign-id-rehomed"]["count"] == 1
    assert report.warnings["foreign-reference-rehomed"]["count"] == 1


def test_an_unknown_foreign_ids_setting_is_a_usage_error(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "s.toml",
        tmp_path / "s.db",
        '[[source]]\nname = "x"\nadapter = "oparl"\nurl = "http://127.0.0.1:9/oparl/system"\nforeign_ids = "adopt"\n',
    )
    done = cli("sync", "--config", str(config))
    assert done.returncode == 2
    assert "foreign_ids" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_id_claimed_by_a_second_source_degrades_that_run_and_names_both(
    backend: str, victim: HostileOParl, tmp_path: Path
) -> None:
    """The same server configured twice (say, a copy of a source under a new name): the second
    source's run is degraded, exit 4, and its report names the source that holds the ids."""
    with store_url_for(backend, tmp_path) as db:
        sources = "".join(
            f'[[source]]\nname = "{name}"\nadapter = "oparl"\nurl = "{victim.system_url}"\n\n'
            for name in ("stadt", "stadt-kopie")
        )
        config = write_config(tmp_path / "s.toml", Path("/unused"), sources)
        config.write_text(config.read_text().replace('db = "/unused"', f'db = "{db}"'))
        first, report = cli_json("sync", "--config", str(config), "--source", "stadt")
        assert first == 0 and report["status"] == "complete"
        second, report = cli_json("sync", "--config", str(config), "--source", "stadt-kopie")
        assert second == 4
        assert report["status"] == "degraded"
        assert [c["owner"] for c in report["id_conflicts"]] == ["stadt"]
        assert report["id_conflicts"][0]["count"] >= 2  # the Body and the Paper (and the System)
        example = next(w for w in report["warnings"] if w["code"] == "id-conflict")["example"]
        assert "'stadt'" in example and "'stadt-kopie'" in example
        store = open_store(db)
        try:
            rid = f"{victim.base_url}/oparl/paper/1"
            assert store.get_hashes([rid])[rid][2] == "stadt"
        finally:
            store.close()
        status = cli("status", "--db", db)
        assert status.returncode == 4 and "stadt-kopie" in status.stdout
