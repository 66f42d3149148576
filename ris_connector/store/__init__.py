"""Stores: where synced records, their change feed and the sync state live."""

from __future__ import annotations

from ris_connector.errors import ConfigError
from ris_connector.store.base import ChangeEvent, RunInfo, Store, StoredRow, WriteBatch
from ris_connector.store.sqlite import SQLiteStore

DEFAULT_DB = "ris-connector.db"


def open_store(url: str | None = None) -> Store:
    """Open the store named by a path, ``sqlite:///path`` or ``postgresql://...`` URL."""
    target = url or DEFAULT_DB
    if target.startswith(("postgresql://", "postgres://")):
        try:
            from ris_connector.store.postgres import PostgresStore  # type: ignore[import-not-found,unused-ignore]
        except ImportError as exc:
            raise ConfigError(f"PostgreSQL store is not available: {exc}") from exc
        store: Store = PostgresStore(target)
        return store
    if target.startswith("sqlite:///"):
        target = target[len("sqlite:///") :]
    elif "://" in target:
        raise ConfigError(f"unsupported database URL {target!r} (use a file path or postgresql://)")
    return SQLiteStore(target)


__all__ = [
    "DEFAULT_DB",
    "ChangeEvent",
    "RunInfo",
    "SQLiteStore",
    "Store",
    "StoredRow",
    "WriteBatch",
    "open_store",
]
