"""The ZMS adapter against the adapter test kit and a ZMS-like citizen API on 127.0.0.1.

``zms_server()`` answers ``GET /api/citizen/appointment/?processId=&authKey=`` like
eappointment's citizen API (ThinnedProcess JSON, 404 for unknown processes, 400 for a wrong
authKey). The kit replays tests/cassettes/zms.yaml (authKeys stored as SECRET);
``--ris-record`` re-records.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ris_connector import open_store, run_source, source_from_mapping
from ris_connector.testing import AdapterContract, LocalServer, Reply, Request, serve_json

HERE = Path(__file__).parent
KEYS = json.loads((HERE / "zms-test-keys.json").read_text())
PERSONAL = ("Mustermann", "erika@example.org", "+49 30 1234567")

#: processId -> ThinnedProcess; 100003 is deleted on the server (answers 404).
PROCESSES: dict[int, dict[str, Any]] = {
    100001: {
        "processId": 100001,
        "authKey": KEYS["100001"],
        "timestamp": "1770112800",
        "familyName": "Mustermann",
        "email": "erika@example.org",
        "telephone": "+49 30 1234567",
        "officeName": "Bürgeramt Mitte",
        "officeId": 122210,
        "status": "confirmed",
        "serviceId": 120703,
        "serviceName": "Personalausweis beantragen",
        "serviceCount": 1,
        "slotCount": 1,
        "reservationDuration": 15,
        "createTimestamp": "1768905600",
    },
    100002: {
        "processId": 100002,
        "authKey": KEYS["100002"],
        "timestamp": "1770202800",
        "familyName": "Mustermann",
        "email": "erika@example.org",
        "telephone": None,
        "officeName": "Bürgeramt Pankow",
        "officeId": 122217,
        "status": "reserved",
        "serviceId": 120686,
        "serviceName": "Anmeldung einer Wohnung",
        "serviceCount": 1,
        "slotCount": 2,
        "reservationDuration": 30,
        "createTimestamp": "1768992000",
    },
    100004: {
        "processId": 100004,
        "authKey": KEYS["100004"],
        "timestamp": "1770289200",
        "familyName": "Mustermann",
        "officeName": "Bürgeramt Mitte",
        "officeId": 122210,
        "status": "deleted",
        "serviceId": 120703,
        "serviceName": "Personalausweis beantragen",
    },
}


def _appointment(request: Request) -> Reply:
    process = PROCESSES.get(int(request.query.get("processId") or 0))
    if process is None:
        return Reply.json({"errors": [{"errorCode": "appointmentNotFound", "statusCode": 404}]}, 404)
    if request.query.get("authKey") != process["authKey"]:
        return Reply.json({"errors": [{"errorCode": "authKeyMismatch", "statusCode": 400}]}, 400)
    return Reply.json(process)


def zms_server() -> LocalServer:
    """The ZMS-like citizen API on a free port of 127.0.0.1."""
    return serve_json(
        {"/api/citizen/appointment/": _appointment}, fallback=Reply.json({"errors": [{"errorCode": "notFound"}]}, 404)
    )


SOURCE = {
    "name": "zms-test",
    "adapter": "zms",
    "url": "{base}/api/citizen",
    "process_ids": [100001, 100002, 100003, 100004],
    "auth_keys_file": str(HERE / "zms-test-keys.json"),
}


class TestZmsKit(AdapterContract):
    adapter = "zms"
    source = SOURCE
    cassette = HERE / "cassettes" / "zms.yaml"
    secret_params = ("authKey",)

    def live_server(self) -> Any:
        return zms_server()


def test_sample_processes_follow_the_zms_schema() -> None:
    schema = json.loads((HERE / "zms-appointment.schema.json").read_text())
    for process in PROCESSES.values():
        jsonschema.Draft202012Validator(schema).validate(process)


def test_appointments_are_personal_and_nothing_personal_is_kept_or_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZMS_AUTH_KEY_100002", "wrong-key-from-env")  # the environment wins over the file
    monkeypatch.setattr(logging.getLogger("ris_connector"), "propagate", True)  # the CLI may have turned it off
    caplog.set_level(logging.DEBUG, logger="ris_connector")  # the library's and the adapter's logs
    caplog.set_level(logging.DEBUG, logger="ris_zms")
    with zms_server() as server:
        mapping = {**SOURCE, "url": server.url("/api/citizen"), "http": {"rate_limit": 0}}
        store = open_store(str(tmp_path / "zms.db"))
        report = run_source(source_from_mapping(mapping), store)
    assert report.status == "degraded" and report.complete  # read whole; one of two quarantined is above 5 %
    assert report.counts["Appointment"]["created"] == 1
    assert report.counts["Appointment"]["quarantined"] == 1  # 100002: authKey from env rejected (HTTP 400)
    row = store.get("urn:ris:zms-test:Appointment:100001")
    assert row is not None
    data = row.data
    assert data["personal"] is True
    assert data["start"] == "2026-02-03T10:00:00Z"
    assert data["service"] == "Personalausweis beantragen" and data["status"] == "confirmed"
    everything = json.dumps([r.data for r in store.iter_rows()]) + json.dumps(store.quarantined())
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(("ris_connector", "ris_zms")))
    everything += json.dumps(report.to_json_dict()) + logged
    for secret in (*PERSONAL, *KEYS.values(), "wrong-key-from-env"):
        assert secret not in everything, secret
    assert "authKey=***" in logged  # request URLs are logged with the key masked
    store.close()
