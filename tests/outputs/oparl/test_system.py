"""The System the output serves: the one source's facts, the publisher's ([output]), and each
Body's own facts when there are several sources; the sync keeps a source's System in the store."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ris_connector.adapters.base import Rejected
from ris_connector.adapters.oparl.mapper import OParlMapper
from ris_connector.cli import main
from ris_connector.clock import FixedClock
from ris_connector.config import OutputConfig, load_config
from ris_connector.errors import ConfigError
from ris_connector.models import System
from ris_connector.outputs.oparl import create_app
from ris_connector.store import SQLiteStore
from ris_connector.sync import run_source
from tests.support.oparl_schema import problems
from tests.support.real_oparl import SYSTEMS, WUPPERTAL, RealOParl
from tests.support.ristest import oparl_source
from tests.support.urn_source import sync_urn

BASE = "http://oparl.example"
PUBLISHER = {"name": "Offene Ratsdaten Musterkreis", "contactEmail": "opendata@musterkreis.de",
             "license": "https://www.govdata.de/dl-de/zero-2-0"}  # fmt: skip


def _real_store(path: Path) -> SQLiteStore:
    store = SQLiteStore(path)
    with RealOParl() as real:
        report = run_source(oparl_source(real.system_url, name="wuppertal"), store)
    assert report.complete
    return store


def test_the_sync_keeps_the_systems_facts(tmp_path: Path) -> None:
    with _real_store(tmp_path / "real.db") as store:
        (row,) = list(store.iter_rows(type_name="System"))
    system = json.loads((WUPPERTAL / "system.json").read_text("utf-8"))
    for key in ("name", "license", "contactEmail", "contactName", "website", "vendor", "product", "created"):
        assert row.data[key] == system[key], key
    assert row.data["oparlVersion"] == "https://schema.oparl.org/1.1/"  # served as 1.1 by the test server


def test_every_real_system_normalizes() -> None:
    """29 Systems captured from live endpoints: each becomes one System record ("N/A" is no name)."""
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=timezone.utc))
    normalizer = OParlMapper(source="real", tz=ZoneInfo("Europe/Berlin"), clock=clock, scheme_for={})
    records = []
    for path in sorted(SYSTEMS.glob("*.json")):
        items = list(normalizer.items(json.loads(path.read_text("utf-8")), expected="System"))
        assert not [i for i in items if isinstance(i, Rejected)], path.name
        records += [i for i in items if isinstance(i, System)]
    assert len(records) == 29
    leipzig = next(r for r in records if "leipzig" in r.id)
    assert leipzig.name is None and leipzig.license == "Datenlizenz Deutschland Namensnennung 2.0"
    assert sum(r.contact_email is not None for r in records) == 29


def test_one_source_passes_its_system_through(tmp_path: Path) -> None:
    with _real_store(tmp_path / "real.db") as store:
        system = create_app(store, base_url=BASE).get_json("/system")[1]
        published = create_app(store, base_url=BASE, publisher=PUBLISHER).get_json("/system")[1]
        named = create_app(store, base_url=BASE, publisher=PUBLISHER, system_name="Ratsinfo").get_json("/system")[1]
    assert problems(system) == [] and problems(published) == []
    assert system["name"] == "Schnittstelle OParl 1.2.1"
    assert system["contactEmail"] == "abdessamad.amaadachou@stadt.wuppertal.de"
    assert system["contactName"] == "abdessamad amaadachou"
    assert system["website"] == "https://ris.wuppertal.de/" and system["vendor"] == "http://www.somacos.de"
    # The source wrote its licence and product in words; the 1.1 attributes hold URLs only.
    assert "license" not in system and system["ris:license"] == "Stadt Wuppertal"
    assert system["ris:product"].startswith("Sitzungsmanagementsystem Session") and "product" not in system
    assert system["ris:originalId"].endswith("/oparl/system")
    assert system["ris:sourceCreated"] == "2020-04-24T00:00:00+02:00"
    # The publisher's facts win; what it leaves open still comes from the source.
    assert published["license"] == PUBLISHER["license"] and published["name"] == PUBLISHER["name"]
    assert published["contactEmail"] == PUBLISHER["contactEmail"]
    assert published["contactName"] == "abdessamad amaadachou"
    assert named["name"] == "Ratsinfo"


def test_several_sources_name_the_publisher_and_bodies_keep_their_facts(tmp_path: Path) -> None:
    with _real_store(tmp_path / "two.db") as store:
        sync_urn(store)
        bare = create_app(store, base_url=BASE).get_json("/system")[1]
        app = create_app(store, base_url=BASE, publisher=PUBLISHER, body_names={"kalender": "Gemeinde Beispielheim"})
        system = app.get_json("/system")[1]
        bodies = {b["name"]: b for b in app.get_json("/body")[1]["data"]}
    assert set(bare) == {"id", "type", "oparlVersion", "body", "name"} and bare["name"] == "ris-connector"
    assert {k: system[k] for k in PUBLISHER} == PUBLISHER
    assert "contactName" not in system and "ris:originalId" not in system
    wuppertal = bodies["Instance 0001"]
    assert wuppertal["contactEmail"] == "abdessamad.amaadachou@stadt.wuppertal.de"
    assert wuppertal["website"] == "https://ris.wuppertal.de/"
    # The Body states no licence; its System's (in words here) covers its objects, so it travels along.
    assert wuppertal["ris:license"] == "Stadt Wuppertal" and "license" not in wuppertal
    made_up = bodies["Gemeinde Beispielheim"]
    assert "license" not in made_up and "ris:license" not in made_up  # the calendar has no System
    assert all(problems(b) == [] for b in bodies.values())


def test_output_table_in_the_configuration(tmp_path: Path) -> None:
    config = tmp_path / "ris.toml"
    config.write_text(
        'db = "ris.db"\n[[source]]\nname = "kalender"\nadapter = "testurn"\n'
        '[output]\nname = "Offene Ratsdaten"\ncontactEmail = "opendata@example.org"\n'
        'contact_name = "Team Open Data"\nlicense = "https://www.govdata.de/dl-de/by-2-0"\n',
        encoding="utf-8",
    )
    facts = load_config(config).output.facts()
    assert facts == {"name": "Offene Ratsdaten", "contactEmail": "opendata@example.org",
                     "contactName": "Team Open Data", "license": "https://www.govdata.de/dl-de/by-2-0"}  # fmt: skip
    with SQLiteStore(tmp_path / "ris.db") as store:
        sync_urn(store)
    out = tmp_path / "static"
    assert main(["export-oparl", "--config", str(config), "--out", str(out), "--base-url", BASE]) == 0
    served = json.loads((out / "system" / "index.json").read_text("utf-8"))
    assert {k: served[k] for k in facts} == facts
    for bad, message in (('license = "CC BY 4.0"', "license"), ('licence = "https://x.org/"', "licence")):
        config.write_text(f'[[source]]\nname = "k"\nadapter = "testurn"\n[output]\n{bad}\n', encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_config(config)


def test_output_config_accepts_oparl_and_python_names() -> None:
    both: dict[str, Any] = {"contactEmail": "a@example.org", "contact_name": "A"}
    assert OutputConfig.model_validate(both).facts() == {"contactEmail": "a@example.org", "contactName": "A"}
