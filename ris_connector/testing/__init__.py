"""The adapter test kit and the test servers: what an adapter author (and this project) tests with.

* The kit: subclass :class:`AdapterContract` in a test module (pytest finds the rest through this
  package's ``pytest11`` plugin), or call :func:`verify_adapter` with a :class:`KitSpec`. Recorded
  HTTP exchanges replay offline (vcrpy, ``record_mode="none"``); ``python -m pytest
  --ris-record`` re-records them. Needs the ``kit`` extra: ``pip install 'ris-connector[kit]'``.
* Servers on 127.0.0.1: :func:`serve_json`, :func:`serve_bytes`, :func:`serve_files` and
  :class:`LocalServer` answer from routes; :func:`list_api` is a paged JSON list API; the
  faults :func:`status`, :func:`delay`, :func:`drop`, :func:`truncate`, :func:`redirect` and
  :func:`sequence` make a route misbehave. These need nothing beyond the standard library.
* :func:`preview`: what an adapter yields in one run, without a store (for trying it out).

Names are imported on first use, so ``import ris_connector.testing`` needs neither pytest nor vcrpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "AdapterContract": "contract",
    "KitResult": "contract",
    "verify_adapter": "contract",
    "FAULTS": "faultproxy",
    "FaultProxy": "faultproxy",
    "KitSpec": "runner",
    "Scenario": "runner",
    "LocalServer": "server",
    "Reply": "server",
    "Request": "server",
    "delay": "server",
    "drop": "server",
    "redirect": "server",
    "sequence": "server",
    "serve_bytes": "server",
    "serve_files": "server",
    "serve_json": "server",
    "status": "server",
    "truncate": "server",
    "list_api": "listapi",
    "preview": "preview_run",
}

if TYPE_CHECKING:
    from ris_connector.testing.contract import AdapterContract, KitResult, verify_adapter
    from ris_connector.testing.faultproxy import FAULTS, FaultProxy
    from ris_connector.testing.listapi import list_api
    from ris_connector.testing.preview_run import preview
    from ris_connector.testing.runner import KitSpec, Scenario
    from ris_connector.testing.server import (
        LocalServer,
        Reply,
        Request,
        delay,
        drop,
        redirect,
        sequence,
        serve_bytes,
        serve_files,
        serve_json,
        status,
        truncate,
    )


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'ris_connector.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ris_connector.testing.{module}"), name)


__all__ = [
    "FAULTS",
    "AdapterContract",
    "FaultProxy",
    "KitResult",
    "KitSpec",
    "LocalServer",
    "Reply",
    "Request",
    "Scenario",
    "delay",
    "drop",
    "list_api",
    "preview",
    "redirect",
    "sequence",
    "serve_bytes",
    "serve_files",
    "serve_json",
    "status",
    "truncate",
    "verify_adapter",
]
