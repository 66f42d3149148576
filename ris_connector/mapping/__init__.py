"""Declarative mappings (TOML) from XML exports and SOAP results to normalized records."""

from ris_connector.mapping.compiled import MappingPlan
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
from ris_connector.mapping.readers import Place

__all__ = [
    "FieldSpec",
    "Mapping",
    "MappingPlan",
    "OperationSpec",
    "Place",
    "RecordSpec",
    "RelationSpec",
    "load_mapping",
    "parse_mapping",
    "shipped_mappings",
]
