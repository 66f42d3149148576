"""The status page (``/status``): every source's health, counts, warnings, quarantine and history.

Server-rendered HTML without script, for operators on a desk or a phone; see docs/monitoring.md.
"""

from __future__ import annotations

from ris_connector.outputs.statuspage.app import StatusPage

__all__ = ["StatusPage"]
