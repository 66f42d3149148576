"""The pytest plugin of the adapter test kit (entry point ``pytest11``: ``ris_connector``).

It only adds the ``--ris-record`` option; importing it does no I/O.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--ris-record``: re-record every AdapterContract cassette from its live server."""
    group = parser.getgroup("ris-connector")
    group.addoption(
        "--ris-record",
        action="store_true",
        dest="ris_record",
        default=False,
        help="re-record the HTTP cassettes of AdapterContract tests from their live_server()",
    )
