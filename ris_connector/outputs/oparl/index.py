"""What the OParl output publishes: one entry per object, its URL key, its Body, and the
``created``/``modified`` times consumers filter on; kept up to date change by change.

Published times are the store's own: ``created`` is when the store first held the record,
``modified`` the latest change of what the object's JSON says. An object embedded in a parent is
written without its back-references (the spec gives them only when it is read on its own), so
there are two times per object:

* ``inner``: the latest change of the record itself and of everything embedded in it (for a File
  also the mirror's last change of its servable copy, ``FileEntry.changed``, which switches its
  ``accessUrl``/``downloadUrl``). This is the ``modified`` of the object inside its parents, and
  a parent's own time includes it.
* ``modified``: ``inner``, and for Files and Locations also the latest change of a record that
  references it (live or deleted: a deleted one leaves the back-reference list). This is the
  ``modified`` of the object at its own URL and in the lists, and what the filters compare.

So a consumer that asks ``modified_since`` its last visit gets every object whose published
JSON changed since, however late a source delivered it. (A record that stops referencing a
Location or File without being deleted does not raise that object's time: the store keeps no
trace of the old reference.)

The index is a function of the store's records, their times and the mirror state only, so an
index updated change by change (:meth:`PublishIndex.gather` outside any lock, then
:meth:`PublishIndex.apply`) equals one built from scratch, in every process that serves the
same store. A change to the set of live Bodies (which decides where body-less records go) asks
for a rebuild.
"""

from __future__ import annotations

import hashlib
import logging
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from ris_connector.files.blobs import BlobStore
from ris_connector.files.entry import NAMESPACE, FileEntry
from ris_connector.outputs.oparl.catalogue import BACKREF_KEYS, EMBED_RANK, PUBLISHED, TYPES, embedded_pairs
from ris_connector.outputs.oparl.documents import Document, document_for, state_time
from ris_connector.store.base import Store
from ris_connector.urlsafe import is_safe_url

log = logging.getLogger(__name__)

#: Prefix of the ids of Bodies the output makes up for records that have none.
SYNTHETIC_BODY_PREFIX = "urn:ris-connector:output-body:"

#: Record types the index reads: the sources' Systems, then the published ones, Bodies first.
_READ = ("System", *TYPES)

#: File attributes that can give the document's URL (``accessUrl`` is required; the others stand in).
FILE_URL_KEYS = ("accessUrl", "downloadUrl", "externalServiceUrl", "web")


def url_key(record_id: str) -> str:
    """The URL path segment of a record: a short, stable hash of its store id."""
    return hashlib.blake2b(record_id.encode("utf-8"), digest_size=10).hexdigest()


def synthetic_body_id(source: str) -> str:
    """Id of the Body made up for the body-less records of ``source``."""
    return f"{SYNTHETIC_BODY_PREFIX}{source}"


@lru_cache(maxsize=65536)  # the engine stamps a whole batch with one time
def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"store time without offset: {value!r}")
    return parsed


def file_has_url(data: Mapping[str, Any]) -> bool:
    """Whether a stored File names its document by an http(s) URL (else it is not published)."""
    return any(is_safe_url(data.get(k)) for k in FILE_URL_KEYS)


@dataclass(slots=True)
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
    """``modified`` at its own URL and in lists (back-references included)."""
    synthetic: bool = False
    inner: datetime | None = None
    """``modified`` when embedded in a parent (no back-references); None: same as ``modified``."""
    own: datetime | None = None
    """The record's own last change, raised to the mirror's change for a File."""
    changed: datetime | None = None
    """The record's last change in the store (``records.last_changed``)."""

    @property
    def embedded_modified(self) -> datetime:
        """``modified`` as written inside a parent."""
        return self.inner or self.modified


class Row(NamedTuple):
    """A stored record as the index reads it."""

    id: str
    type: str
    source: str
    deleted: bool
    data: Mapping[str, Any]
    first: str
    last: str


@dataclass(frozen=True, slots=True)
class _Links:
    """What a record says about other records, as far as the index needs it."""

    children: tuple[tuple[str, str], ...] = ()
    """(id, expected type) of what it embeds."""
    targets: tuple[str, ...] = ()
    """Files and Locations it names (their back-reference lists count it): ``BACKREF_KEYS``."""
    agenda: tuple[str, ...] = ()
    """A Meeting's agenda items, in order (the fallback ``AgendaItem.order``)."""


def _links(row: Row) -> _Links:
    data = row.data
    targets: list[str] = []
    for key in BACKREF_KEYS.get(row.type, ()):
        value = data.get(key)
        if isinstance(value, str):
            targets.append(value)
        elif isinstance(value, list):
            targets.extend(v for v in value if isinstance(v, str))
    if row.deleted:  # a tombstone embeds nothing; its old references still date the lists it left
        return _Links(targets=tuple(targets))
    agenda = data.get("agendaItem") if row.type == "Meeting" else None
    return _Links(
        tuple(embedded_pairs(row.type, data)),
        tuple(targets),
        tuple(v for v in agenda if isinstance(v, str)) if isinstance(agenda, list) else (),
    )


@dataclass
class Pending:
    """What changed in the store, read by :meth:`PublishIndex.gather` for :meth:`PublishIndex.apply`."""

    rows: dict[str, Row | None]
    """Changed id -> its current record (None: not in the store or of an unpublished type)."""
    mirror_raw: dict[str, str] | None = None
    """The whole mirror state as stored, when the mirror's generation moved."""
    mirror: dict[str, FileEntry | None] = field(default_factory=dict)
    """File id -> its changed mirror state (None: gone)."""
    documents: dict[str, Document | None] = field(default_factory=dict)
    """File id -> its servable copy, for every File whose record or mirror state changed."""


class PublishIndex:
    """Entries by key and by (body, type), built from one pass over the store and then kept
    current with :meth:`gather` and :meth:`apply` (which the caller serializes against readers)."""

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
        self.systems: dict[str, Row] = {}
        """System records of the sources, by id."""
        self.unpublished: set[str] = set()
        """Live Files without a URL to the document (not published)."""
        self._links: dict[str, _Links] = {}
        self._embedded_in: dict[str, set[str]] = {}
        self._referenced_by: dict[str, set[str]] = {}
        self._in_agenda: dict[str, set[str]] = {}
        self._sources: Counter[str] = Counter()
        self._live_bodies: set[str] = set()
        self._bodies_of_source: dict[str, list[str]] = {}
        self._mirror: dict[str, FileEntry] = {}
        self._mirror_raw: dict[str, str] = {}
        self._build(store)

    # --- lookups -----------------------------------------------------------------
    @property
    def unpublished_files(self) -> int:
        """How many live Files are not published for want of a URL."""
        return len(self.unpublished)

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

    def backrefs_of(self, record_id: str) -> dict[str, list[str]]:
        """Back-reference attribute -> ids of the live records that reference ``record_id`` (sorted)."""
        entry = self.entries.get(record_id)
        if entry is None or entry.deleted or not TYPES[entry.type].backrefs:
            return {}
        found: dict[str, list[str]] = {}
        for src in sorted(self._referenced_by.get(record_id, ())):
            src_entry = self.entries.get(src)
            if src_entry is None or src_entry.deleted:
                continue
            for attr, src_type in TYPES[entry.type].backrefs.items():
                if src_entry.type == src_type:
                    found.setdefault(attr, []).append(src)
        return found

    def agenda_position(self, item_id: str) -> int:
        """An agenda item's position in its meeting (the first meeting by id naming it), else 0."""
        meetings = sorted(self._in_agenda.get(item_id, ()))
        return self._links[meetings[0]].agenda.index(item_id) if meetings else 0

    def sources(self) -> set[str]:
        """Every source with published objects or a System."""
        return {s for s, n in self._sources.items() if n} | {r.source for r in self.systems.values()}

    def system_of(self, source: str) -> Row | None:
        """The live System record of ``source`` (the latest changed if it has several)."""
        rows = [r for r in self.systems.values() if r.source == source and not r.deleted]
        return max(rows, key=lambda r: (r.last, r.id)) if rows else None

    # --- full build ----------------------------------------------------------------
    def _build(self, store: Store) -> None:
        if self._files is not None:
            self._mirror_raw = store.kv_items(NAMESPACE)
            self._mirror = {k: e for k, v in self._mirror_raw.items() if (e := _parse_state(k, v)) is not None}
        for type_name in _READ:
            stored = [
                (row.id, row.source, row.deleted, row.data)
                for row in store.iter_rows(type_name=type_name, include_deleted=True)
                if row.type == type_name
            ]
            times = store.record_times([rid for rid, _, _, _ in stored])
            rows = [Row(rid, type_name, src, dl, data, *times[rid]) for rid, src, dl, data in stored if rid in times]
            if type_name == "Body":
                for row in sorted(rows, key=lambda r: r.id):
                    if not row.deleted:
                        self._live_bodies.add(row.id)
                        self._bodies_of_source.setdefault(row.source, []).append(row.id)
            for row in rows:
                self._add(row, self._document(row), bulk=True)
        if self.unpublished:
            log.warning("%d File records have no URL to the document and are not published", len(self.unpublished))
        for items in (self.bodies, *self.lists.values()):
            items.sort(key=_sort_key)
        self._retime(set(self.entries), set(), everything=True)
        self._synthetic({e.body for e in self.entries.values() if e.body.startswith(SYNTHETIC_BODY_PREFIX)})

    def _document(self, row: Row) -> Document | None:
        state = self._mirror.get(row.id)
        if self._files is None or state is None or row.type != "File" or row.deleted:
            return None
        return document_for(self._files, state, row.data, _time(row.last))

    # --- changes ---------------------------------------------------------------------
    def gather(self, store: Store, ids: Iterable[str], *, mirror_moved: bool) -> Pending:
        """Read what :meth:`apply` needs about the records ``ids`` (and the mirror, if it moved).

        Reads the store and the mirror's files, never changes the index: call it outside the
        readers' lock. Data newer than the events that named ``ids`` is fine: the index follows
        each record's current state, so applying it again later changes nothing.
        """
        wanted = list(dict.fromkeys(ids))
        kept = store.get_hashes(wanted)
        data = store.get_data(wanted)
        times = store.record_times(wanted)
        rows: dict[str, Row | None] = {}
        for rid in wanted:
            stored = data.get(rid)
            type_name = stored.get("type") if stored is not None else None
            if stored is None or rid not in kept or rid not in times or type_name not in _READ:
                rows[rid] = None
                continue
            deleted, source = kept[rid][1], kept[rid][2]
            rows[rid] = Row(rid, str(type_name), source, deleted, stored, *times[rid])
        pending = Pending(rows)
        if self._files is None:
            return pending
        if mirror_moved:
            pending.mirror_raw = store.kv_items(NAMESPACE)
            for key in pending.mirror_raw.keys() | self._mirror_raw.keys():
                if pending.mirror_raw.get(key) != self._mirror_raw.get(key):
                    text = pending.mirror_raw.get(key)
                    pending.mirror[key] = _parse_state(key, text) if text is not None else None
        files = [rid for rid, row in rows.items() if row is not None and row.type == "File"]
        others = [rid for rid in pending.mirror if rid not in rows]
        more = store.get_data(others) if others else {}
        for rid in files + others:
            row = rows.get(rid)
            values: Mapping[str, Any] | None = row.data if row is not None else more.get(rid)
            state = pending.mirror[rid] if rid in pending.mirror else self._mirror.get(rid)
            entry = self.entries.get(rid)
            fallback = _time(row.last) if row is not None else entry.changed if entry is not None else None
            deleted = row.deleted if row is not None else entry is None or entry.deleted
            if state is None or values is None or fallback is None or deleted:
                pending.documents[rid] = None
            else:
                pending.documents[rid] = document_for(self._files, state, values, fallback)
        return pending

    def apply(self, pending: Pending) -> bool:
        """Bring the index up to ``pending``; False when only a rebuild can (the live Bodies changed).

        The caller holds the lock that keeps readers out.
        """
        bodies_before = set(self._live_bodies)
        bodies_after = set(bodies_before)
        for rid, row in pending.rows.items():
            bodies_after.discard(rid)
            if row is not None and row.type == "Body" and not row.deleted:
                bodies_after.add(rid)
                old = self.entries.get(rid)
                if old is not None and old.source != row.source:
                    return False  # the Body moved to another source: other records may follow it
        if bodies_after != bodies_before:
            return False
        if pending.mirror_raw is not None:
            self._mirror_raw = pending.mirror_raw
            for rid, state in pending.mirror.items():
                if state is None:
                    self._mirror.pop(rid, None)
                else:
                    self._mirror[rid] = state
        seeds: set[str] = set()
        standalone: set[str] = set()
        synthetic: set[str] = set()
        for rid, row in pending.rows.items():
            old = self.entries.get(rid)
            if old is not None and old.body.startswith(SYNTHETIC_BODY_PREFIX):
                synthetic.add(old.body)
            standalone.update(self._remove(rid))
            if row is not None:
                self._add(row, pending.documents.get(rid), bulk=False)
                standalone.update(self._links[rid].targets if rid in self._links else ())
                new = self.entries.get(rid)
                if new is not None and new.body.startswith(SYNTHETIC_BODY_PREFIX):
                    synthetic.add(new.body)
            seeds.add(rid)
        for rid in pending.mirror.keys() - pending.rows.keys():
            entry = self.entries.get(rid)
            if entry is None or entry.type != "File" or entry.deleted:
                continue
            doc = pending.documents.get(rid)
            if doc is None:
                self.documents.pop(rid, None)
            else:
                self.documents[rid] = doc
            entry.own = self._own(rid, entry.changed or entry.created)
            seeds.add(rid)
        self._retime(seeds, standalone)
        self._synthetic(synthetic)
        return True

    # --- entries -----------------------------------------------------------------------
    def _add(self, row: Row, document: Document | None, *, bulk: bool) -> None:
        if row.type == "System":
            self.systems[row.id] = row
            return
        if row.type not in PUBLISHED:
            return
        if row.type == "File" and not row.deleted and not file_has_url(row.data):
            self.unpublished.add(row.id)
            return
        last = _time(row.last)
        own = self._own(row.id, last) if row.type == "File" and not row.deleted else last
        entry = Entry(
            row.id,
            row.type,
            url_key(row.id),
            row.source,
            self._body_of(row),
            row.deleted,
            _time(row.first),
            own,
            inner=own,
            own=own,
            changed=last,
        )
        links = _links(row)
        self.entries[row.id] = entry
        self.by_key[entry.key] = row.id
        self._links[row.id] = links
        self._sources[row.source] += 1
        for child, _ in links.children:
            self._embedded_in.setdefault(child, set()).add(row.id)
        for target in links.targets:
            self._referenced_by.setdefault(target, set()).add(row.id)
        for item in links.agenda:
            self._in_agenda.setdefault(item, set()).add(row.id)
        if document is not None:
            self.documents[row.id] = document
        items = self.bodies if row.type == "Body" else self.lists.setdefault((entry.body, row.type), [])
        if bulk:
            items.append(entry)
        else:
            items.insert(bisect_left(items, _sort_key(entry), key=_sort_key), entry)

    def _remove(self, rid: str) -> tuple[str, ...]:
        """Drop ``rid`` from every structure; returns the ids it referenced."""
        self.systems.pop(rid, None)
        self.unpublished.discard(rid)
        self.documents.pop(rid, None)
        entry = self.entries.pop(rid, None)
        links = self._links.pop(rid, None)
        if entry is None or links is None:
            return ()
        del self.by_key[entry.key]
        self._sources[entry.source] -= 1
        for child, _ in links.children:
            _discard(self._embedded_in, child, rid)
        for target in links.targets:
            _discard(self._referenced_by, target, rid)
        for item in links.agenda:
            _discard(self._in_agenda, item, rid)
        _unlist(self.bodies if entry.type == "Body" else self.lists[(entry.body, entry.type)], entry)
        return links.targets

    def _body_of(self, row: Row) -> str:
        if row.type == "Body":
            return row.id
        claimed = row.data.get("body")
        if isinstance(claimed, str) and claimed in self._live_bodies:
            return claimed
        own = self._bodies_of_source.get(row.source, [])
        return own[0] if len(own) == 1 else synthetic_body_id(row.source)

    def _own(self, rid: str, last: datetime) -> datetime:
        """A File's own time: its record's last change, or the mirror's later one."""
        state = self._mirror.get(rid) if self._files is not None else None
        moved = state_time(state) if state is not None else None
        return moved if moved is not None and moved > last else last

    # --- times -------------------------------------------------------------------------
    def _retime(self, seeds: set[str], standalone: set[str], *, everything: bool = False) -> None:
        """Recompute ``inner`` of ``seeds`` and of everything embedding them, then ``modified``."""
        dirty: set[str] = seeds if everything else set()
        stack = [] if everything else list(seeds)
        while stack:
            rid = stack.pop()
            if rid not in dirty:
                dirty.add(rid)
                stack.extend(self._embedded_in.get(rid, ()))
        # Embedding follows the types (Meeting > AgendaItem > File), which form no cycle: children
        # (lower rank) are done before their parents.
        entries = self.entries
        ranked = [e for e in map(entries.get, dirty) if e is not None and not e.synthetic]
        ranked.sort(key=lambda e: EMBED_RANK[e.type])
        for entry in ranked:
            latest = entry.own or entry.modified
            if not entry.deleted:
                for child, child_type in self._links[entry.id].children:
                    child_entry = entries.get(child)
                    if child_entry is not None and child_entry.type == child_type:
                        child_time = child_entry.inner or child_entry.modified
                        if child_time > latest:
                            latest = child_time
            entry.inner = latest
        for rid in dirty if everything else dirty | standalone:
            found = self.entries.get(rid)
            if found is not None and not found.synthetic:
                found.modified = self._standalone(found)

    def _standalone(self, entry: Entry) -> datetime:
        latest = entry.embedded_modified
        wanted = set(TYPES[entry.type].backrefs.values())
        if entry.deleted or not wanted:
            return latest
        for src in self._referenced_by.get(entry.id, ()):
            src_entry = self.entries.get(src)
            if src_entry is not None and src_entry.type in wanted and src_entry.own is not None:
                latest = max(latest, src_entry.own)
        return latest

    def _synthetic(self, body_ids: Iterable[str]) -> None:
        """Made-up Bodies for ``body_ids``: present while they have objects, dated by the first."""
        for body_id in body_ids:
            firsts = [items[0].created for (b, _), items in self.lists.items() if b == body_id and items]
            old = self.entries.get(body_id)
            if old is not None:
                del self.entries[body_id], self.by_key[old.key]
                _unlist(self.bodies, old)
            if not firsts:
                continue
            first = min(firsts)
            source = body_id[len(SYNTHETIC_BODY_PREFIX) :]
            entry = Entry(body_id, "Body", url_key(body_id), source, body_id, False, first, first, synthetic=True)
            self.entries[body_id] = entry
            self.by_key[entry.key] = body_id
            self.bodies.insert(bisect_left(self.bodies, _sort_key(entry), key=_sort_key), entry)

    # --- checks --------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Everything the index serves, as plain values (to compare two indexes)."""
        return {
            "entries": {
                rid: (e.type, e.key, e.source, e.body, e.deleted, e.created, e.modified, e.embedded_modified)
                for rid, e in self.entries.items()
            },
            "lists": {k: [e.id for e in v] for k, v in self.lists.items() if v},
            "bodies": [e.id for e in self.bodies],
            "backrefs": {rid: self.backrefs_of(rid) for rid in self.entries if self.backrefs_of(rid)},
            "agenda": {rid: self.agenda_position(rid) for rid, e in self.entries.items() if e.type == "AgendaItem"},
            "documents": {rid: (d.sha256, d.url_name, d.modified) for rid, d in self.documents.items()},
            "systems": {rid: (r.source, r.deleted, dict(r.data)) for rid, r in self.systems.items()},
            "unpublished": sorted(self.unpublished),
        }


def _sort_key(entry: Entry) -> tuple[datetime, str]:
    """Stable list order: first appearance in the store, then key (new objects come last)."""
    return (entry.created, entry.key)


def _unlist(items: list[Entry], entry: Entry) -> None:
    at = bisect_left(items, _sort_key(entry), key=_sort_key)
    while at < len(items) and items[at] is not entry:
        at += 1
    if at < len(items):
        del items[at]


def _discard(index: dict[str, set[str]], key: str, value: str) -> None:
    members = index.get(key)
    if members is not None:
        members.discard(value)
        if not members:
            del index[key]


def _parse_state(key: str, value: str) -> FileEntry | None:
    try:
        return FileEntry.from_json(value)
    except (ValueError, TypeError):
        log.warning("ignoring unreadable mirror state of %s", key)
        return None
