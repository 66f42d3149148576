"""The OParl 1.1 output over real HTTP: every object validates, the static tree is the same JSON,
appointments never appear, the app mounts under a prefix, ``serve`` answers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from ris_connector.cli import main
from ris_connector.outputs.oparl import create_app, synthetic_body_id, url_key
from ris_connector.store import SQLiteStore
from tests.support.oparl_schema import BASE, problems, type_name
from tests.support.oparl_walk import walk
from tests.support.ristest import FIXTURES
from tests.support.urn_source import APPOINTMENT_ID, APPOINTMENT_TEXT, SOURCE, sync_urn
from tests.support.wsgi_serve import serve_wsgi

EXAMPLES = FIXTURES / "oparl-spec" / "json-schema-draft-7" / "examples"
LISTS = (
    "organization",
    "person",
    "meeting",
    "paper",
    "agendaItem",
    "consultation",
    "file",
    "locationList",
    "legislativeTermList",
    "membership",
)


def test_schema_harness_accepts_valid_and_rejects_invalid_examples() -> None:
    """The validator itself: the official examples pass, except Meeting-01 whose agenda item lacks order."""
    for path in sorted(EXAMPLES.glob("*.json")):
        obj = json.loads(path.read_text(encoding="utf-8"))
        found = problems(obj)
        if path.name == "Meeting-01.json":
            assert found and all("order" in p for p in found), found
        else:
            assert found == [], (path.name, found)


def test_every_served_object_validates(filled_store: SQLiteStore) -> None:
    app = create_app(filled_store)
    with serve_wsgi(app) as base:
        seen = walk(f"{base}/system", base)
    index = app.index()
    bad = {obj["id"]: problems(obj) for obj in seen.objects if problems(obj)}
    assert not bad, dict(list(bad.items())[:5])
    pages = {url: doc for url, doc in seen.documents.items() if "data" in doc}
    for url, page in pages.items():
        assert set(page) == {"data", "pagination", "links"}, url
        assert {"first", "self", "last"} <= set(page["links"]), url
        assert page["links"]["self"] == url
    standalone = {url: doc for url, doc in seen.documents.items() if "data" not in doc}
    assert all(doc["id"] == url for url, doc in standalone.items())
    # Every published object was reachable at its own URL, and all ten lists of every body were read.
    assert len(standalone) == 1 + len(index.entries)
    for body in index.bodies:
        for name in LISTS:
            assert f"{base}/body/{body.key}/{name}" in pages
    types = {type_name(o) for o in seen.objects}
    published = {row.type for row in filled_store.iter_rows() if row.type != "Appointment"}
    assert types == {"System", "Body"} | published
    assert "Appointment" not in types
    # Every object served is linked back to the store record it came from.
    stored = {o["ris:originalId"] for o in seen.objects if "ris:originalId" in o}
    systems = {r.id for r in filled_store.iter_rows(type_name="System")}  # the one source's System
    assert stored == {e.id for e in index.entries.values() if not e.synthetic} | systems


def test_urn_source_gets_a_made_up_body_named_by_config(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "urn.db") as store:
        sync_urn(store)
        app = create_app(store, base_url="http://oparl.example", body_names={SOURCE: "Gemeinde Beispielheim"})
        status, bodies = app.get_json("/body")
        assert status == 200
        body = bodies["data"][0]
        status, meetings = app.get_json(body["meeting"][len("http://oparl.example") :])
    assert [b["name"] for b in bodies["data"]] == ["Gemeinde Beispielheim"]
    assert body["id"] == f"http://oparl.example/body/{url_key(synthetic_body_id(SOURCE))}"
    assert problems(body) == []
    assert status == 200 and meetings["pagination"]["totalElements"] == 2
    agenda = next(m for m in meetings["data"] if m["ris:originalId"].endswith(":mt1"))["agendaItem"]
    assert [(a["number"], a["order"]) for a in agenda] == [("1", 0), ("2", 1)]


def test_static_export_equals_served_json(filled_store: SQLiteStore, tmp_path: Path) -> None:
    out = tmp_path / "static"
    app = create_app(filled_store)
    with serve_wsgi(app) as base:
        assert main(["export-oparl", "--db", filled_store.path, "--out", str(out), "--base-url", base]) == 0
        seen = walk(f"{base}/system", base)
    files = {
        base + "/" + str(p.parent.relative_to(out)).replace("\\", "/"): json.loads(p.read_text(encoding="utf-8"))
        for p in out.rglob("index.json")
    }
    assert set(files) == set(seen.documents)
    assert all(files[url] == seen.documents[url] for url in files)
    assert any("/page/2" in url for url in files) or max(len(d.get("data", [])) for d in files.values()) <= 100


def test_appointments_are_never_published(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "urn.db") as store:
        sync_urn(store)
        assert store.get(APPOINTMENT_ID) is not None
        app = create_app(store)
        with serve_wsgi(app) as base:
            seen = walk(f"{base}/system", base)
            hidden = requests.get(f"{base}/appointment/{url_key(APPOINTMENT_ID)}", timeout=10)
            as_location = requests.get(f"{base}/location/{url_key(APPOINTMENT_ID)}", timeout=10)
            assert main(["export-oparl", "--db", store.path, "--out", str(tmp_path / "s"), "--base-url", base]) == 0
        assert app.url_for(APPOINTMENT_ID, base) is None
    assert hidden.status_code == 404 and as_location.status_code == 404
    text = seen.texts()
    static = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "s").rglob("index.json"))
    for needle in (APPOINTMENT_ID, APPOINTMENT_TEXT, "Appointment", "Personalausweis"):
        assert needle not in text and needle not in static, needle
    # The appointment's place is a Location of its own and is published, without a link back.
    place = next(o for o in seen.objects if o.get("ris:originalId", "").endswith(":l2"))
    assert set(place) == {"id", "type", "description", "created", "modified", "ris:originalId"}


def test_mounted_under_a_prefix_builds_urls_from_the_request(tmp_path: Path) -> None:
    """A backend mounts the app at /oparl; without base_url the ids follow the mount point."""
    with SQLiteStore(tmp_path / "urn.db") as store:
        sync_urn(store)
        oparl = create_app(store)

        def backend(environ: dict[str, Any], start_response: Any) -> Any:
            path = environ.get("PATH_INFO", "")
            if path.startswith("/oparl"):
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + "/oparl"
                environ["PATH_INFO"] = path[len("/oparl") :]
                return oparl(environ, start_response)
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"the app's own page"]

        with serve_wsgi(backend) as base:
            root = requests.get(f"{base}/oparl/", timeout=10, allow_redirects=False)
            system = requests.get(f"{base}/oparl/system", timeout=10).json()
            seen = walk(f"{base}/oparl/system", f"{base}/oparl")
            other = requests.get(f"{base}/", timeout=10).text
    assert root.status_code == 302 and root.headers["Location"] == f"{base}/oparl/system"
    assert system["id"] == f"{base}/oparl/system" and system["body"] == f"{base}/oparl/body"
    assert system["type"] == BASE + "System" and problems(system) == []
    assert len(seen.documents) > 20
    assert other == "the app's own page"


def test_bad_requests_are_answered_with_400_and_404(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "urn.db") as store:
        sync_urn(store)
        app = create_app(store)
        with serve_wsgi(app) as base:
            body = requests.get(f"{base}/body", timeout=10).json()["data"][0]
            answers = {
                "bad date": requests.get(body["meeting"], params={"modified_since": "gestern"}, timeout=10),
                "naive date": requests.get(
                    body["meeting"], params={"modified_since": "2026-01-01T00:00:00"}, timeout=10
                ),
                "bad limit": requests.get(body["meeting"], params={"limit": "0"}, timeout=10),
                "no page": requests.get(body["meeting"], params={"page": "9"}, timeout=10),
                "no object": requests.get(f"{base}/meeting/0000", timeout=10),
                "no list": requests.get(f"{base}/body/{body['id'].rsplit('/', 1)[1]}/appointment", timeout=10),
                "post": requests.post(f"{base}/system", timeout=10),
            }
    codes = {name: r.status_code for name, r in answers.items()}
    assert codes == {
        "bad date": 400,
        "naive date": 400,
        "bad limit": 400,
        "no page": 404,
        "no object": 404,
        "no list": 404,
        "post": 405,
    }
    assert "modified_since" in answers["bad date"].json()["message"]


def test_serve_command_answers_over_http(tmp_path: Path) -> None:
    """``ris-connector serve --port 0`` in a child process; stopped by its pid at the end."""
    db = tmp_path / "urn.db"
    with SQLiteStore(db) as store:
        sync_urn(store)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ris_connector", "serve", "--db", str(db), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "OParl 1.1 endpoint: " in line, line
        system_url = line.split("OParl 1.1 endpoint: ", 1)[1].split(" ", 1)[0]
        system = requests.get(system_url, timeout=10).json()
        bodies = requests.get(system["body"], timeout=10).json()
    finally:
        proc.terminate()
        proc.wait(10)
    assert system["id"] == system_url
    assert bodies["pagination"]["totalElements"] == 1


@pytest.mark.parametrize("argv", [["export-oparl", "--out", "x"], ["serve", "--body-name", "nameless"]])
def test_command_line_usage_errors(argv: list[str], tmp_path: Path) -> None:
    if argv[0] == "serve":
        assert main([*argv, "--db", str(tmp_path / "x.db")]) == 2
    else:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
