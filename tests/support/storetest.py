"""Store back-ends for tests: a SQLite file, or a fresh schema in the PostgreSQL of RIS_TEST_POSTGRES_URL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

BACKENDS = ("sqlite", "postgresql")
PG_ENV = "RIS_TEST_POSTGRES_URL"
PG_SKIP_REASON = (
    f"{PG_ENV} is not set, so the PostgreSQL variant is skipped; .ci/run sets it "
    "(.ci/setup.d/10-postgres.sh installs and starts PostgreSQL), so CI skips nothing"
)


def pg_base_url() -> str | None:
    """The PostgreSQL test database, if configured."""
    return os.environ.get(PG_ENV) or None


def with_schema(url: str, schema: str) -> str:
    """``url`` with its search_path set to ``schema`` (libpq ``options``)."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}', safe='')}"


@contextmanager
def pg_schema(base: str) -> Iterator[str]:
    """A fresh, empty schema; yields the URL whose search_path points at it, drops it afterwards."""
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield with_schema(base, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@contextmanager
def store_url_for(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database URL (SQLite path or postgresql:// URL) of a new, empty store."""
    if backend == "sqlite":
        tmp_path.mkdir(parents=True, exist_ok=True)
        yield str(tmp_path / "ris.db")
        return
    base = pg_base_url()
    if base is None:
        import pytest

        pytest.skip(PG_SKIP_REASON)
    with pg_schema(base) as url:
        yield url
