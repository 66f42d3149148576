"""The pytest plugin of the adapter test kit (entry point ``pytest11``: ``ris_connector``).

It adds the ``--ris-record`` option and the class-scoped ``ris_kit`` fixture that
:class:`~ris_connector.testing.AdapterContract` tests use; importing it does no I/O.
"""

from __future__ import annotations

from typing import Any

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


@pytest.fixture(scope="class")
def ris_kit(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Runs the kit's scenario once per AdapterContract class; returns its KitResult."""
    from ris_connector.testing.contract import AdapterContract, verify_adapter

    cls = request.cls
    if cls is None or not issubclass(cls, AdapterContract):
        raise TypeError("ris_kit is for tests in AdapterContract subclasses")
    record = bool(request.config.getoption("ris_record", default=False))
    return verify_adapter(cls.kit_spec(), tmp_path_factory.mktemp("kit"), record=record)
