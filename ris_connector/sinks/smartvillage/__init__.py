"""Smart Village App mainserver sink: upcoming meetings as event records over GraphQL."""

from __future__ import annotations

from ris_connector.sinks.smartvillage.client import MainserverClient
from ris_connector.sinks.smartvillage.mapping import event_record
from ris_connector.sinks.smartvillage.sink import Operation, SinkReport, SmartVillageSink, map_namespace

__all__ = ["MainserverClient", "Operation", "SinkReport", "SmartVillageSink", "event_record", "map_namespace"]
