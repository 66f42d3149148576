"""Promise: logs, errors and reports show no secrets and cannot be forged by a source.

* Every query value in a logged URL is ``***`` except the OParl parameters (``modified_since``,
  ``created_since``, ``limit``, ``page`` ...); user info in URLs is ``***@`` (``?pwd=`` was
  logged in clear at ``-vv``).
* Text from sources (server messages, fault strings, ids) is escaped in every log record (no
  control characters, no bidi overrides, no newlines that start a forged line) and clipped in
  errors and reports. The SOAP fault cases are in ``test_soap_limits.py``.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest

from ris_connector import errors
from ris_connector.cli import main
from ris_connector.errors import DataError, SourceError, redact_url
from ris_connector.http import HttpClient, HttpSettings
from ris_connector.sample.server import OParlServer
from tests.support.faulty_server import FaultyServer
from tests.support.ristest import OParlFactory

FORGED = "\n12:00:00 ERROR ris_connector.sync.engine: all good \u202egnp.exe"


def test_query_values_are_masked_in_the_debug_log_except_oparl_parameters(
    oparl_server: OParlFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server: OParlServer = oparl_server(scale=0.003)
    url = server.system_url + "?pwd=geheim-4711&apikey=k-4711"
    args = ["-vv", "sync", "--oparl", url, "--name", "t", "--db", str(tmp_path / "ris.db")]
    assert main(args) == 0
    assert main(args) == 0  # incremental: lists are asked with modified_since
    err = capsys.readouterr().err
    assert "4711" not in err
    assert "system?pwd=***&apikey=***" in err
    assert "modified_since=20" in err  # an OParl filter stays readable


def test_user_info_in_urls_is_masked(home: FaultyServer) -> None:
    netloc = home.base_url.removeprefix("http://")
    with HttpClient(home.base_url, HttpSettings(max_attempts=1)) as client, pytest.raises(errors.NotFound) as info:
        client.get(f"http://ris:geheim-4711@{netloc}/status/404?token=t-4711&page=2")
    assert f"http://***@{netloc}/status/404?token=***&page=2" in str(info.value)
    assert "4711" not in str(info.value) and "4711" not in repr(info.value.url)
    assert (
        redact_url("https://ris.example.org/x?Limit=5&SID=abc&wsdl") == "https://ris.example.org/x?Limit=5&SID=***&wsdl"
    )


def test_every_library_log_record_is_escaped_before_any_handler_sees_it() -> None:
    """An application's own handler on the root logger gets one line per record, no bidi tricks."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        logging.getLogger("ris_connector.adapters.somewhere").warning("server said: %s", "Fehler" + FORGED)
        logging.getLogger("ris_connector.sync.engine").error("%s", SourceError("HTTP 500: Fehler" + FORGED, source="s"))
        logging.getLogger("ris_connector.files").info(
            "file %s failed", "https://ris.example.org/getfile.asp?id=5&sid=s3cr3t"
        )
    finally:
        root.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert all("\u202e" not in line and "\\u202e" in line and "\\x0a12:00:00" in line for line in lines[:2])
    assert lines[2] == "INFO file https://ris.example.org/getfile.asp?id=***&sid=*** failed"  # every URL in a record


def test_errors_escape_and_clip_source_text() -> None:
    huge = "Vorlage nicht gefunden" + FORGED + "x" * 1_000_000
    for error in (SourceError(huge, url="http://ris.example.org/x?pwd=1"), DataError(huge, record_id="urn:x\u202e")):
        text = str(error)
        assert "\n" not in text and "\u202e" not in text
        assert len(text) < 1600 and re.search(r"… \(10000\d\d chars\)", text)
