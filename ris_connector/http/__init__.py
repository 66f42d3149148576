"""The HTTP layer: one polite, bounded, retrying client per source."""

from ris_connector.http.client import HttpClient, HttpStats
from ris_connector.http.response import HttpResponse
from ris_connector.http.settings import HttpSettings

__all__ = ["HttpClient", "HttpResponse", "HttpSettings", "HttpStats"]
