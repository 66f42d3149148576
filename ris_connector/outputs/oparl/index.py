"""A snapshot of what the OParl output publishes: one entry per object, its URL key, its Body,
and the ``created``/``modified`` times consumers filter on.

Published times are the store's own: ``created`` is when the store first held the record,
``modified`` the latest content change of the record, of anything embedded in it, or of a
record whose reference to it the output lists (File.meeting, Location.papers...). So a
consumer that asks ``modified_since`` its last visit gets every object whose published JSON
changed since, however late a source delivered it. With a mirror directory, a File's own time is
also raised to the mirror's last change of its servable copy (``FileEntry.changed``), because
that switches its ``accessUrl``/``downloadUrl``. The snapshot is rebuilt when the store's
change feed has moved.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ris_connector.files.blobs import BlobStore
from ris_connector.outputs.oparl.catalogue import PUBLISHED, TYPES, embedded_children
from ris_connector.outputs.oparl.documents import Document, document_for, mirror_entries, state_time
from ris_connector.store.base import Store

log = logging.getLogger(__name__)

#: Prefix of the ids of Bodies the output makes up for records that have none.
SYNTHETIC_BODY_PREFIX = "urn:ris-connector:output-body:"


def url_key(record_id: str) -> str:
    """The URL path segment of a record: a short, stable hash of its store id."""
    return hashlib.blake2b(record_id.encode("utf-8"), digest_size=10).hexdigest()


def synthetic_body_id(source: str) -> str:
    """Id of the Body made up for the body-less records of ``source``."""
    return f"{SYNTHETIC_BODY_PREFIX}{source}"


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"store time without offset: {value!r}")
    return parsed


@dataclass
class Entry:
    """One published object."""

    id: str
    type: str
    key: str
    source: str
    body: str
    deleted: bool
    created: datetime
    modified: datetime
    synthetic: bool = False


class PublishIndex:
    """Entries by key and by (body, type), built from one pass over the store."""

    def __init__(
        self, store: Store, *, body_names: Mapping[str, str] | None = None, files: BlobStore | None = None
    ) -> None:
        self.body_names = dict(body_names or {})
        self.documents: dict[str, Document] = {}
        """File id -> its mirrored copy served by the output (only with ``files``)."""
        self._files = files
        self.entries: dict[str, Entry] = {}
        self.by_key: dict[str, str] = {}
        self.lists: dict[tuple[str, str], list[Entry]] = {}
        self.bodies: list[Entry] = []
        self.backrefs: dict[str, dict[str, list[str]]] = {}
        self.order_fallback: dict[str, int] = {}
        self.unpublished_files = 0
        self._build(store)

    # --- lookups -----------------------------------------------------------------
    def entry(self, record_id: str) -> Entry | None:
        """The entry of a store id, if published."""
        return self.entries.get(record_id)

    def by_url_key(self, key: str) -> Entry | None:
        """The entry whose URL carries ``key``."""
        rid = self.by_key.get(key)
        return self.entries.get(rid) if rid is not None else None

    def body_name(self, source: str) -> str:
        """Name of the made-up Body of ``source``."""
        return self.body_names.get(source, source)

    # --- build -------------------------------------------------------------------
    def _build(self, store: Store) -> None:
        rows: dict[str, tuple[str, str, bool, dict[str, Any]]] = {}
        for type_name in TYPES:
            for row in store.iter_rows(type_name=type_name, include_deleted=True):
                if row.type not in PUBLISHED:
                    continue
                if row.type == "File" and not row.deleted and not _file_has_url(row.data):
                    self.unpublished_files += 1
                    continue
                rows[row.id] = (row.type, row.source, row.deleted, row.data)
        if self.unpublished_files:
            log.warning("%d File records have no URL to the document and are not published", self.unpublished_files)
        times = store.record_times(rows)
        live_bodies = {rid for rid, (t, _, deleted, _) in rows.items() if t == "Body" and not deleted}
        bodies_of_source: dict[str, list[str]] = {}
        for rid in sorted(live_bodies):
            bodies_of_source.setdefault(rows[rid][1], []).append(rid)

        def body_of(rid: str, type_name: str, source: str, data: Mapping[str, Any]) -> str:
            if type_name == "Body":
                return rid
            claimed = data.get("body")
            if isinstance(claimed, str) and claimed in live_bodies:
                return claimed
            own = bodies_of_source.get(source, [])
            return own[0] if len(own) == 1 else synthetic_body_id(source)

        for rid, (type_name, source, deleted, data) in rows.items():
            first, last = times.get(rid, ("", ""))
            if not first:
                continue
            entry = Entry(
                rid,
                type_name,
                url_key(rid),
                source,
                body_of(rid, type_name, source, data),
                deleted,
                _time(first),
                _time(last),
            )
            self.entries[rid] = entry
            if type_name == "Meeting" and not deleted:
                for position, item in enumerate(v for v in data.get("agendaItem", []) if isinstance(v, str)):
                    self.order_fallback.setdefault(item, position)

        if self._files is not None:
            self._mirrored(store, self._files, rows)
        self._derive_backrefs(store, rows)
        self._effective_times(rows)
        self._synthetic_bodies()
        for entry in self.entries.values():
            self.by_key[entry.key] = entry.id
            if entry.type == "Body":
                self.bodies.append(entry)
            else:
                self.lists.setdefault((entry.body, entry.type), []).append(entry)
        order = _sort_key
        self.bodies.sort(key=order)
        for items in self.lists.values():
            items.sort(key=order)

    def _mirrored(
        self, store: Store, blobs: BlobStore, rows: Mapping[str, tuple[str, str, bool, dict[str, Any]]]
    ) -> None:
        """Which Files are served from the mirror; their ``modified`` is raised to the mirror's last change."""
        for file_id, state in mirror_entries(store).items():
            entry = self.entries.get(file_id)
            if entry is None or entry.type != "File" or entry.deleted:
                continue
            moved = state_time(state)
            if moved is not None and moved > entry.modified:
                entry.modified = moved
            doc = document_for(blobs, state, rows[file_id][3], entry.modified)
            if doc is not None:
                self.documents[file_id] = doc

    def _derive_backrefs(self, store: Store, rows: Mapping[str, tuple[str, str, bool, dict[str, Any]]]) -> None:
        targets = [rid for rid, (t, _, deleted, _) in rows.items() if TYPES[t].backrefs and not deleted]
        for dst, pairs in store.referrers(targets).items():
            wanted = TYPES[rows[dst][0]].backrefs
            found: dict[str, list[str]] = {}
            for src, _field in pairs:
                src_entry = self.entries.get(src)
                if src_entry is None or src_entry.deleted:
                    continue
                for attr, src_type in wanted.items():
                    if src_entry.type == src_type and src not in found.setdefault(attr, []):
                        found[attr].append(src)
            if found:
                self.backrefs[dst] = found

    def _effective_times(self, rows: Mapping[str, tuple[str, str, bool, dict[str, Any]]]) -> None:
        """``modified`` of an object = latest change of itself, what it embeds, and its listed referrers."""
        own = {rid: e.modified for rid, e in self.entries.items()}
        done: dict[str, datetime] = {}

        def effective(rid: str, path: frozenset[str]) -> datetime:
            if rid in done:
                return done[rid]
            entry = self.entries[rid]
            latest = own[rid]
            if not entry.deleted:
                related: list[str] = embedded_children(entry.type, rows[rid][3])
                for ids in self.backrefs.get(rid, {}).values():
                    latest = max([latest, *(own[s] for s in ids)])
                for child in related:
                    if child in self.entries and child not in path:
                        latest = max(latest, effective(child, path | {rid}))
            done[rid] = latest
            return latest

        for rid in self.entries:
            self.entries[rid].modified = effective(rid, frozenset())

    def _synthetic_bodies(self) -> None:
        needed: dict[str, list[Entry]] = {}
        for entry in self.entries.values():
            if entry.body.startswith(SYNTHETIC_BODY_PREFIX):
                needed.setdefault(entry.body, []).append(entry)
        for body_id, members in needed.items():
            source = body_id[len(SYNTHETIC_BODY_PREFIX) :]
            first = min(m.created for m in members)
            self.entries[body_id] = Entry(
                body_id, "Body", url_key(body_id), source, body_id, False, first, first, synthetic=True
            )


def _sort_key(entry: Entry) -> tuple[datetime, str]:
    """Stable list order: first appearance in the store, then key (new objects come last)."""
    return (entry.created, entry.key)


def _file_has_url(data: Mapping[str, Any]) -> bool:
    return any(isinstance(data.get(k), str) for k in ("accessUrl", "downloadUrl", "externalServiceUrl", "web"))


def ids_in(values: Iterable[Any]) -> list[str]:
    """The string items of a stored list value."""
    return [v for v in values if isinstance(v, str)]
