"""Tolerant value parsing shared by all adapters: times, text, ids, meeting status.

The helpers re-exported here are part of the public adapter API.
"""

from ris_connector.normalize.ids import canonical_url, urn
from ris_connector.normalize.records import record_items, validate_record
from ris_connector.normalize.text import clean_text
from ris_connector.normalize.times import format_query_datetime, get_timezone, parse_date, parse_datetime

__all__ = [
    "canonical_url",
    "clean_text",
    "format_query_datetime",
    "get_timezone",
    "parse_date",
    "parse_datetime",
    "record_items",
    "urn",
    "validate_record",
]
