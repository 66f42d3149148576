"""The sync engine and its run report."""

from ris_connector.sync.engine import SyncEngine, run_source
from ris_connector.sync.report import RunReport

__all__ = ["RunReport", "SyncEngine", "run_source"]
