"""ris-connector: council information systems (RIS) to municipal apps, normalized and in sync.

The public API is what this module exports; everything else may change::

    from ris_connector import open_store, source_from_mapping, run_source

    store = open_store("ris-connector.db")
    source = source_from_mapping({"name": "bonn", "adapter": "oparl",
                                  "url": "https://www.bonn.sitzung-online.de/public/oparl/system"})
    report = run_source(source, store)
    for row in store.iter_rows(type_name="Meeting"):
        meeting = row.to_record()
"""

import logging

from ris_connector import logsafe, models
from ris_connector.adapters.base import (
    Adapter,
    AdapterContext,
    AdapterOptions,
    Checkpoint,
    Item,
    MissingReference,
    Notice,
    Rejected,
    SourceSettings,
    Tombstone,
)
from ris_connector.clock import Clock, FixedClock, SystemClock
from ris_connector.config import FileConfig, SourceConfig, load_config, source_from_mapping
from ris_connector.errors import (
    ConfigError,
    DataError,
    RisError,
    SourceError,
    StoreError,
    TransientError,
)
from ris_connector.store import ChangeEvent, SQLiteStore, Store, open_store
from ris_connector.sync import RunReport, SyncEngine, run_source
from ris_connector.version import __version__

# Every record of the library's loggers is escaped (no forged lines, no bidi tricks) before
# any handler formats it; see ris_connector.logsafe.
logsafe.install(logging.getLogger("ris_connector"))

__all__ = [
    "Adapter",
    "AdapterContext",
    "AdapterOptions",
    "ChangeEvent",
    "Checkpoint",
    "Clock",
    "ConfigError",
    "DataError",
    "FileConfig",
    "FixedClock",
    "Item",
    "MissingReference",
    "Notice",
    "Rejected",
    "RisError",
    "RunReport",
    "SQLiteStore",
    "SourceConfig",
    "SourceError",
    "SourceSettings",
    "Store",
    "StoreError",
    "SyncEngine",
    "SystemClock",
    "Tombstone",
    "TransientError",
    "__version__",
    "load_config",
    "models",
    "open_store",
    "run_source",
    "source_from_mapping",
]
