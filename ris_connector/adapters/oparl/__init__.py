"""The built-in OParl adapter."""

from ris_connector.adapters.oparl.adapter import OParlAdapter, OParlOptions

__all__ = ["OParlAdapter", "OParlOptions"]
