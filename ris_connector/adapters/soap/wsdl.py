"""Reading what the CLI needs from a local WSDL file, through the safe XML parser."""

from __future__ import annotations

from pathlib import Path

from ris_connector.errors import ConfigError, SourceError
from ris_connector.xmlsafe import parse_bytes


def service_address(path: Path) -> str | None:
    """The first ``soap:address``/``soap12:address`` location of a local WSDL, if any."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read WSDL {path}: {exc.strerror or exc}") from None
    try:
        root, _ = parse_bytes(data, where=str(path))
    except SourceError as exc:
        raise ConfigError(f"WSDL {path}: {exc}") from None
    for element in root.iter("{*}address"):
        location = element.get("location")
        if location:
            return str(location)
    return None
