"""The built-in SOAP adapter (zeep over the core HTTP client)."""

from ris_connector.adapters.soap.adapter import SoapAdapter, SoapOptions

__all__ = ["SoapAdapter", "SoapOptions"]
