"""The built-in XML export adapter."""

from ris_connector.adapters.xml.adapter import XmlAdapter, XmlOptions

__all__ = ["XmlAdapter", "XmlOptions"]
