"""Source configuration: one source from the command line or many from a TOML file.

A TOML file lists sources; keys the core knows configure the core, all other keys of a
source are the adapter's options::

    db = "ris-connector.db"          # optional

    [defaults]                        # optional, applies to every source
    timezone = "Europe/Berlin"

    [[source]]
    name = "bonn"
    adapter = "oparl"
    url = "https://www.bonn.sitzung-online.de/public/oparl/system"
    full_sync_every = "7d"
    interval = "6h"                   # how often the Celery beat schedule runs it
    ignore_changes = ['Stand: \\d\\d\\.\\d\\d\\.\\d{4}']   # volatile text (docs/changes.md)
    [source.http]
    read_timeout = 300

    [output]                          # optional: who publishes the OParl output (its System)
    name = "Ratsinformationen Musterstadt"
    contactEmail = "opendata@musterstadt.de"
    license = "https://www.govdata.de/dl-de/by-2-0"
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from ris_connector.errors import ConfigError
from ris_connector.http import HttpSettings
from ris_connector.normalize.times import get_timezone
from ris_connector.urlsafe import is_safe_url

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
#: A source name, matched whole (``fullmatch``: a trailing newline is not a name character).
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_DAY = 86400.0
#: Ranges (inclusive) of the numeric core settings: outside them a value means nothing or
#: breaks later (a negative ``overlap`` asks for an empty window and misses every change).
_RANGES: dict[str, tuple[float, float, str]] = {
    "overlap": (0, 365 * _DAY, "from 0 s to 365 days"),
    "full_sync_every": (1, 100 * 365 * _DAY, "from 1 s to 100 years"),
    "interval": (1, 365 * _DAY, "from 1 s to 365 days"),
    "max_individual_fetches": (0, 1_000_000_000, "from 0 to 1,000,000,000"),
    "max_delete_fraction": (0, 1, "from 0 to 1"),
    "batch_size": (1, 1_000_000, "from 1 to 1,000,000"),
    "max_batch_bytes": (1024, 2**30, "from 1,024 to 1,073,741,824 (1 GiB)"),
    "max_pages_per_list": (1, 100_000_000, "from 1 to 100,000,000"),
    "max_records_per_list": (1, 1_000_000_000, "from 1 to 1,000,000,000"),
    "max_run_time": (1, 30 * _DAY, "from 1 s to 30 days"),
}


def parse_duration(value: object) -> float:
    """Seconds from ``90``, ``"90s"``, ``"15m"``, ``"24h"``, ``"7d"`` or ``"1w"``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        match = _DURATION.fullmatch(value)
        if match:
            return float(match.group(1)) * _UNITS[match.group(2)]
    raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 15m, 24h, 7d)")


class SourceConfig(BaseModel):
    """One configured source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    adapter: str
    url: str | None = Field(None, description="Where the source lives; its host is allowed for HTTP.")
    options: dict[str, Any] = Field(default_factory=dict, description="Adapter-specific options.")
    http: HttpSettings = Field(default_factory=HttpSettings)
    timezone: str = "Europe/Berlin"
    keep_raw: bool = False
    overlap: float = Field(3600.0, description="Seconds an incremental run looks back before the watermark.")
    full_sync_every: float | None = Field(7 * 86400.0, description="Seconds between full reconciliation runs.")
    max_individual_fetches: int = 5000
    max_delete_fraction: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Per list and type: a list that shrank by more than this share of its last size deletes "
        "nothing; per type: no absence deletes of more than this share of its records (docs/health.md).",
    )
    max_quarantine_fraction: float = Field(
        0.05,
        ge=0,
        le=1,
        description="A run that quarantines more than this share of the records of a type is degraded.",
    )
    ignore_changes: list[str] = Field(
        default_factory=list,
        description="Regular expressions of volatile text: matches are no change (docs/changes.md).",
    )
    batch_size: int = Field(500, description="Records (and quarantine rows) written per transaction at most.")
    max_batch_bytes: int = Field(
        8 * 1024 * 1024,
        description="Bytes of records and quarantine rows held for one transaction at most: a batch is written "
        "when it reaches batch_size items or this size, whichever comes first (docs/limits.md).",
    )
    max_pages_per_list: int = Field(
        50_000,
        description="Pages one list may have in one run; more end the list, the run is incomplete (docs/limits.md).",
    )
    max_records_per_list: int = Field(
        1_000_000,
        description="Records one list may deliver in one run (embedded objects included); more end the list, "
        "the run is incomplete (docs/limits.md).",
    )
    max_run_time: float = Field(
        6 * 3600.0,
        description="Wall time of one run of the source; past it the run stops at the next item, keeps what was "
        "read and is incomplete (docs/limits.md).",
    )
    foreign_ids: Literal["quarantine", "rehome"] = Field(
        "quarantine",
        description="Records whose id lies outside the source's hosts (docs/limits.md#ids-belong-to-their-source): "
        "quarantined, or re-homed as urn:ris:<source>:<type>:<digest>.",
    )
    interval: float = Field(
        86400.0, gt=0, description="Seconds between scheduled runs (the Celery beat schedule); default one day."
    )

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError("use letters, digits, '.', '-' and '_' (at most 100)")
        return value

    @field_validator(*_RANGES)
    @classmethod
    def _in_range(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None:
            return value
        low, high, text = _RANGES[str(info.field_name)]
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"must be {text}")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        get_timezone(value)
        return value

    @field_validator("ignore_changes")
    @classmethod
    def _check_patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not pattern:
                raise ValueError("an empty pattern would match nothing")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
        return value

    @field_validator("overlap", "full_sync_every", "interval", "max_run_time", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return None if value is None else parse_duration(value)


_CORE_KEYS = set(SourceConfig.model_fields) - {"options"}


def source_from_mapping(raw: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> SourceConfig:
    """Build a SourceConfig from a TOML table: core keys for the core, the rest as options."""
    merged: dict[str, Any] = {}
    for table in (defaults or {}), raw:
        for key, value in table.items():
            if key == "http" and isinstance(value, Mapping):
                merged["http"] = {**merged.get("http", {}), **value}
            elif key == "options" and isinstance(value, Mapping):
                merged.setdefault("options", {}).update(value)
            elif key in _CORE_KEYS:
                merged[key] = value
            else:
                merged.setdefault("options", {})[key] = value
    where = raw.get("name", "?")
    try:
        return SourceConfig.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"source {where!r}: {problems}") from None


class OutputConfig(BaseModel):
    """The ``[output]`` table: who publishes the OParl output, stated by its System.

    Keys are the System's OParl attribute names (``contactEmail``; ``contact_email`` works too).
    A fact given here wins over the one source's System; with several sources only these are
    stated (see the OParl output documentation, ``docs/outputs/oparl.md``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)

    name: str | None = None
    contact_email: str | None = None
    contact_name: str | None = None
    license: str | None = Field(None, description="URL of the licence the data is published under.")
    website: str | None = Field(None, description="URL of the publisher's website.")
    vendor: str | None = Field(None, description="URL of the vendor of the software.")
    product: str | None = Field(None, description="URL of the software product.")
    web: str | None = Field(None, description="URL of an HTML view of the System.")

    @field_validator("license", "website", "vendor", "product", "web")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is not None and not is_safe_url(value):
            raise ValueError(f"must be an http(s) URL, got {value[:80]!r}")
        return value

    def facts(self) -> dict[str, str]:
        """The stated facts by OParl attribute name (``contactEmail``...), empty ones left out."""
        return {k: v for k, v in self.model_dump(by_alias=True).items() if isinstance(v, str) and v.strip()}


class FileConfig(BaseModel):
    """A configuration file: the database, the sources and the output's publisher."""

    model_config = ConfigDict(frozen=True)

    db: str | None = None
    sources: list[SourceConfig]
    output: OutputConfig = Field(default_factory=OutputConfig)


def load_config(path: str | Path) -> FileConfig:
    """Read a TOML configuration file; ConfigError naming the problem if it is invalid."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file not found: {file}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read configuration {file}: {exc}") from None
    unknown = set(data) - {"db", "defaults", "source", "sources", "output"}
    if unknown:
        raise ConfigError(f"{file}: unknown top-level keys: {', '.join(sorted(unknown))}")
    tables = data.get("source", []) + data.get("sources", [])
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{file}: no [[source]] tables")
    defaults = data.get("defaults", {})
    sources = [source_from_mapping(t, defaults) for t in tables]
    names = [s.name for s in sources]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ConfigError(f"{file}: duplicate source names: {', '.join(sorted(dupes))}")
    db = data.get("db")
    if db is not None and not isinstance(db, str):
        raise ConfigError(f"{file}: db must be a string")
    if db and not db.startswith(("postgresql://", "postgres://", "sqlite:///")) and not Path(db).is_absolute():
        db = str(file.parent / db)
    return FileConfig(db=db, sources=sources, output=_output(file, data.get("output", {})))


def _output(file: Path, raw: object) -> OutputConfig:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{file}: [output] must be a table")
    try:
        return OutputConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{file}: [output]: {problems}") from None
