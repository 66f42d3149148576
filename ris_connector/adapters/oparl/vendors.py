"""Vendor detection and what each vendor family needs (quirk catalogue: docs/quirks.md).

The generic OParl path stays clean; every deviation that needs a different request
strategy is a field of :class:`VendorProfile`, named for the vendor that needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ris_connector.notices.oparl import Q12_NO_LIMIT, Q21_UNENCODED_QUERY


@dataclass(frozen=True)
class VendorProfile:
    """How to talk to one vendor family's OParl server."""

    name: str
    #: ``limit`` to send on list requests (None: send none). Sternberg answers 400 (quirk 12).
    page_limit: int | None = None
    #: Build filter queries without percent-encoding (Somacos rejects encoded values, quirk 21).
    raw_query: bool = False
    #: How incremental runs find changes: ``modified_since``, ``newest_pages`` (ALLRIS 4,
    #: quirk 28: page backwards from the last page until known ids) or ``full`` (more! rubin,
    #: quirk 30: every object has modified = today, filters are ignored).
    incremental: str = "modified_since"
    #: Notices (code, message) the run reports once the profile is chosen: the workarounds in effect.
    notes: tuple[tuple[str, str], ...] = ()


GENERIC = VendorProfile("generic")
PROFILES = {
    "generic": GENERIC,
    "sternberg": VendorProfile(
        "sternberg",
        page_limit=None,
        notes=((Q12_NO_LIMIT, "SD.NET RIM answers limit with HTTP 400; list requests carry no limit"),),
    ),
    "ccegov": VendorProfile("ccegov"),
    "ccegov-allris4": VendorProfile("ccegov-allris4", incremental="newest_pages"),
    "somacos": VendorProfile(
        "somacos",
        page_limit=1000,
        raw_query=True,
        notes=((Q21_UNENCODED_QUERY, "Somacos rejects percent-encoded filters; queries are sent raw"),),
    ),
    "rubin": VendorProfile("rubin", incremental="full"),
}


def detect_vendor(system: dict[str, Any], url: str) -> VendorProfile:
    """The vendor profile for a System object fetched from ``url``."""
    contact = str(system.get("contactName") or "")
    vendor = str(system.get("vendor") or "").lower().rstrip("/")
    product = str(system.get("product") or "").lower()
    host = (urlsplit(url).hostname or "").lower()
    path = urlsplit(url).path.lower()
    if contact == "STERNBERG Software GmbH & Co. KG" or any(k.startswith("STERNBERG:") for k in system):
        return PROFILES["sternberg"]
    if "/webservice/oparl/" in path:
        return PROFILES["sternberg"]
    if host.endswith(".gremien.info") or "more-rubin" in vendor or "rubin" in product:
        return PROFILES["rubin"]
    if vendor in {
        "http://cc-egov.de",
        "https://www.cc-egov.de",
        "https://cc-egov.de",
        "http://www.cc-egov.de",
    }:
        version = str(system.get("oparlVersion") or "")
        return PROFILES["ccegov-allris4" if "1.1" in version and "/bi/oparl/" not in path else "ccegov"]
    if "/bi/oparl/1.0/" in path:
        return PROFILES["ccegov"]
    if vendor.startswith(("http://www.somacos.de", "https://www.somacos.de")) or "somacos" in product:
        return PROFILES["somacos"]
    return GENERIC
