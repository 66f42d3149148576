"""ris-connector: sync German council information systems (RIS) into a local store."""

__version__ = "0.1.0"
