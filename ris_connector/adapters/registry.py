"""Finding adapters through the entry-point group ``ris_connector.adapters``.

Built-in adapters are registered in this package's own metadata exactly as a third-party
package registers its adapter, so there is one way in for everybody.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from ris_connector.adapters.base import Adapter
from ris_connector.errors import ConfigError

GROUP = "ris_connector.adapters"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdapterInfo:
    """An installed adapter as ``ris-connector adapters`` lists it."""

    name: str
    target: str
    distribution: str | None
    version: str | None
    description: str
    error: str | None = None


def _entry_points() -> list[EntryPoint]:
    return sorted(entry_points(group=GROUP), key=lambda ep: ep.name)


def load_adapter(name: str) -> type[Adapter]:
    """The adapter class registered under ``name``; ConfigError if none or if broken."""
    matches = [ep for ep in _entry_points() if ep.name == name]
    if not matches:
        known = ", ".join(ep.name for ep in _entry_points()) or "none"
        raise ConfigError(f"no adapter named {name!r} is installed (installed: {known})")
    ep = matches[0]
    try:
        cls = ep.load()
    except Exception as exc:  # a broken plugin must not take the CLI down
        raise ConfigError(f"adapter {name!r} ({ep.value}) failed to load: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise ConfigError(f"adapter {name!r} ({ep.value}) is not a subclass of ris_connector.Adapter")
    return cls


def list_adapters() -> list[AdapterInfo]:
    """Every registered adapter, loaded to read its description; load failures are reported."""
    out: list[AdapterInfo] = []
    for ep in _entry_points():
        dist = ep.dist
        dist_name = dist.metadata["Name"] if dist is not None else None
        version = dist.version if dist is not None else None
        try:
            cls = load_adapter(ep.name)
            out.append(AdapterInfo(ep.name, ep.value, dist_name, version, cls.describe()))
        except ConfigError as exc:
            out.append(AdapterInfo(ep.name, ep.value, dist_name, version, "", error=str(exc)))
    return out
