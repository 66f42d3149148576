"""Declarative mappings (TOML) from XML exports and SOAP results to normalized records."""

from ris_connector.mapping.build import Place, RecordBuilder
from ris_connector.mapping.model import (
    FieldSpec,
    Mapping,
    OperationSpec,
    RecordSpec,
    RelationSpec,
    load_mapping,
    parse_mapping,
    shipped_mappings,
)

__all__ = [
    "FieldSpec",
    "Mapping",
    "OperationSpec",
    "Place",
    "RecordBuilder",
    "RecordSpec",
    "RelationSpec",
    "load_mapping",
    "parse_mapping",
    "shipped_mappings",
]
