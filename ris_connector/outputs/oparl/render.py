"""Stored records as OParl 1.1 JSON objects, embedded-versus-URL as the schema fixes it."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from ris_connector.outputs.oparl.catalogue import (
    BODY_LISTS,
    COMMON,
    EXTENSIONS,
    OPARL_VERSION,
    ORIGINAL_ID,
    PARENT_REFERENCES,
    PATH_WORD,
    PREFIX,
    REQUIRED_EMBEDS,
    SCHEMA_BASE,
    SOURCE_CREATED,
    SOURCE_MODIFIED,
    TYPES,
    URL_ATTRIBUTES,
    embedded_children,
    stored_key,
)
from ris_connector.outputs.oparl.documents import (
    ACCESS,
    DOWNLOAD,
    ORIGINAL_ACCESS_URL,
    ORIGINAL_DOWNLOAD_URL,
    OUTPUT_URL_FIELDS,
    Document,
)
from ris_connector.outputs.oparl.index import FILE_URL_KEYS, Entry, PublishIndex
from ris_connector.outputs.oparl.system import inherited_license, source_system, system_facts
from ris_connector.urlsafe import URL_OR_TEXT, drop_unsafe, is_safe_url

log = logging.getLogger(__name__)

__all__ = ["ORIGINAL_ID", "Reads", "Renderer", "Urls", "iso"]


class Reads(Protocol):
    """The store reads rendering needs (a Store, or the output's serialized reads)."""

    def get_data(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]: ...

    def resolve_aliases(self, ids: Iterable[str]) -> dict[str, str]: ...


def iso(value: datetime) -> str:
    """Date-time as OParl writes it (ISO 8601 with offset, whole seconds)."""
    return value.replace(microsecond=0).isoformat()


class Urls:
    """Where each object and list lives below the base URL."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    @property
    def system(self) -> str:
        return f"{self.base}/system"

    @property
    def body_list(self) -> str:
        return f"{self.base}/body"

    def body_attr_list(self, body: Entry, attr: str) -> str:
        return f"{self.base}/body/{body.key}/{attr}"

    def object(self, entry: Entry) -> str:
        return f"{self.base}/{PATH_WORD[entry.type]}/{entry.key}"

    def document(self, entry: Entry, kind: str, doc: Document) -> str:
        """Where the output serves a File's mirrored copy (``kind``: ``access`` or ``download``)."""
        return f"{self.object(entry)}/{kind}/{doc.url_name}"


class Renderer:
    """Turns index entries into OParl JSON; reads stored data in batches per request."""

    def __init__(
        self,
        index: PublishIndex,
        store: Reads,
        urls: Urls,
        *,
        system_name: str | None = None,
        publisher: Mapping[str, str] | None = None,
    ) -> None:
        self.index = index
        self.store = store
        self.urls = urls
        self.system_name = system_name
        self.publisher = dict(publisher or {})
        self._data: dict[str, dict[str, Any]] = {}
        self._aliases: dict[str, str] = {}

    # --- the System --------------------------------------------------------------
    def system(self) -> dict[str, Any]:
        """The System: the one source's facts, the publisher's (``[output]``), see ``system.py``."""
        out: dict[str, Any] = {
            "id": self.urls.system,
            "type": SCHEMA_BASE + "System",
            "oparlVersion": OPARL_VERSION,
            "body": self.urls.body_list,
        }
        for attr, value in system_facts(self.index, self.publisher, self.system_name).items():
            _put(out, attr, value)
        row = source_system(self.index)
        if row is not None:
            out[ORIGINAL_ID] = row.id
            _source_times(row.data, out)
        _drop_unsafe(row.id if row is not None else "System", out)
        return out

    # --- objects -----------------------------------------------------------------
    def objects(self, entries: Iterable[Entry], *, omit_internal: bool = False) -> list[dict[str, Any]]:
        """The JSON objects of ``entries`` (tombstones for deleted ones), each as read on its own."""
        items = list(entries)
        self._prefetch([e.id for e in items if not e.synthetic and not e.deleted])
        return [self._object(e, omit_internal, None, frozenset()) for e in items]

    def _prefetch(self, ids: list[str]) -> None:
        """Load the stored data of ``ids`` and of everything they embed, one query per level."""
        wanted = [i for i in ids if i not in self._data]
        unknown: set[str] = set()
        while wanted:
            loaded = self.store.get_data(wanted)
            self._data.update(loaded)
            following: list[str] = []
            for rid in wanted:
                entry = self.index.entry(rid)
                data = loaded.get(rid)
                if entry is None or data is None:
                    continue
                for child in embedded_children(entry.type, data):
                    if child not in self._data and self.index.entry(child) is not None:
                        following.append(child)
                    elif self.index.entry(child) is None:
                        unknown.add(child)
                spec = TYPES[entry.type]
                for attr in (*spec.refs, *spec.ref_lists):
                    value = data.get(stored_key(entry.type, attr))
                    for ref in value if isinstance(value, list) else [value]:
                        if isinstance(ref, str) and self.index.entry(ref) is None:
                            unknown.add(ref)
            wanted = list(dict.fromkeys(following))
        fresh = [u for u in unknown if u not in self._aliases]
        if fresh:
            resolved = self.store.resolve_aliases(fresh)
            self._aliases.update({u: resolved.get(u, "") for u in fresh})
            more = [r for r in resolved.values() if r not in self._data and self.index.entry(r) is not None]
            if more:
                self._prefetch(more)

    def _target(self, ref: Any) -> Entry | None:
        if not isinstance(ref, str):
            return None
        entry = self.index.entry(ref)
        if entry is None and self._aliases.get(ref):
            entry = self.index.entry(self._aliases[ref])
        return entry

    def _url(self, ref: Any) -> str | None:
        entry = self._target(ref)
        return self.urls.object(entry) if entry is not None else None

    def _object(self, entry: Entry, omit_internal: bool, parent: Entry | None, path: frozenset[str]) -> dict[str, Any]:
        """One object; ``parent`` is the object it is embedded in (None: read on its own).

        Embedded, it leaves out what the spec gives only outside a parent: back-reference lists
        (File, Location) and the reference to that parent (``PARENT_REFERENCES``); its
        ``modified`` is then the time of what it says there (``Entry.embedded_modified``).
        """
        out: dict[str, Any] = {"id": self.urls.object(entry), "type": SCHEMA_BASE + entry.type}
        if entry.deleted:
            out.update(created=iso(entry.created), modified=iso(entry.modified), deleted=True)
            return out
        if entry.synthetic:
            return self._synthetic_body(entry, out)
        data = self._data.get(entry.id, {})
        spec = TYPES[entry.type]
        skip = PARENT_REFERENCES.get(entry.type, ()) if parent is not None else ()
        for attr in COMMON:
            value = data.get(attr)
            if value not in (None, []):
                _put(out, attr, value)
        if entry.type == "Body":
            out["system"] = self.urls.system
            out.setdefault("name", data.get("shortName") or self.index.body_name(entry.source))
            if "license" not in out and (licence := inherited_license(self.index, entry.source)):
                _put(out, "license", licence)
        if spec.has_body and not ("body" in skip and parent is not None and parent.id == entry.body):
            body = self.index.entry(entry.body)
            if body is not None:
                out["body"] = self.urls.object(body)
        for attr in spec.plain:
            value = data.get(attr)
            if value not in (None, []):
                _put(out, attr, value)
        for attr in spec.refs:
            target = self._target(data.get(stored_key(entry.type, attr)))
            if target is not None and not (attr in skip and parent is not None and target.id == parent.id):
                out[attr] = self.urls.object(target)
        for attr in spec.ref_lists:
            value = data.get(attr)
            urls = [u for u in (self._url(v) for v in (value if isinstance(value, list) else [])) if u]
            if urls:
                out[attr] = urls
        keep = REQUIRED_EMBEDS.get(entry.type, ())
        inner = path | {entry.id}
        for attr, child_type in spec.embeds.items():
            if omit_internal and attr not in keep:
                continue
            child = self._embedded(data.get(stored_key(entry.type, attr)), child_type, inner)
            if child is not None:
                out[attr] = self._object(child, omit_internal, entry, inner)
        for attr, child_type in spec.embed_lists.items():
            if omit_internal and attr not in keep:
                continue
            value = data.get(attr)
            children = [
                c for c in (self._embedded(v, child_type, inner) for v in (value if isinstance(value, list) else []))
            ]
            objects = [self._object(c, omit_internal, entry, inner) for c in children if c is not None]
            if objects or attr in keep:
                out[attr] = objects
        if parent is None:
            for attr, sources in self.index.backrefs_of(entry.id).items():
                urls = [u for u in (self._url(s) for s in sources) if u]
                if urls:
                    out[attr] = urls
        if entry.type == "Body":
            for attr in BODY_LISTS:
                out[attr] = self.urls.body_attr_list(entry, attr)
        if entry.type == "AgendaItem" and "order" not in out:
            out["order"] = self.index.agenda_position(entry.id)
        if entry.type == "File" and "accessUrl" not in out:
            out["accessUrl"] = next(str(data[k]) for k in FILE_URL_KEYS if is_safe_url(data.get(k)))
        if entry.type == "File" and entry.id in self.index.documents:
            self._mirrored_urls(entry, data, out)
        for attr in EXTENSIONS.get(entry.type, ()):
            if data.get(attr) not in (None, []):
                out[PREFIX + attr] = data[attr]
        _drop_unsafe(entry.id, out)
        out["created"] = iso(entry.created)
        out["modified"] = iso(entry.modified if parent is None else entry.embedded_modified)
        out[ORIGINAL_ID] = entry.id
        _source_times(data, out)
        return out

    def _mirrored_urls(self, entry: Entry, data: dict[str, Any], out: dict[str, Any]) -> None:
        """Point a File at the output's copy; keep the source's URLs as extension properties."""
        doc = self.index.documents[entry.id]
        for attr, original, kind in (
            ("accessUrl", ORIGINAL_ACCESS_URL, ACCESS),
            ("downloadUrl", ORIGINAL_DOWNLOAD_URL, DOWNLOAD),
        ):
            if isinstance(data.get(attr), str):
                out[original] = data[attr]
            out[attr] = self.urls.document(entry, kind, doc)

    def _embedded(self, ref: Any, expected: str, path: frozenset[str]) -> Entry | None:
        """The entry to write inside its parent, or None (unknown, deleted, wrong type, cycle)."""
        entry = self._target(ref)
        if entry is None or entry.deleted or entry.type != expected or entry.id in path:
            return None
        if entry.id not in self._data:
            self._prefetch([entry.id])
        return entry

    def _synthetic_body(self, entry: Entry, out: dict[str, Any]) -> dict[str, Any]:
        out["system"] = self.urls.system
        out["name"] = self.index.body_name(entry.source)
        if licence := inherited_license(self.index, entry.source):
            _put(out, "license", licence)
        out["legislativeTerm"] = []
        for attr in BODY_LISTS:
            out[attr] = self.urls.body_attr_list(entry, attr)
        out["created"] = iso(entry.created)
        out["modified"] = iso(entry.modified)
        return out


#: URL-valued keys checked before publishing: the models' (``urlsafe``), and the ``ris:`` copies of
#: values given in words where the schema wants a URL (text, never another scheme's URL).
_CHECKED_URLS = (*OUTPUT_URL_FIELDS, *((PREFIX + a, URL_OR_TEXT) for a in sorted(URL_ATTRIBUTES)))


def _drop_unsafe(record_id: str, out: dict[str, Any]) -> None:
    for key in drop_unsafe(out, _CHECKED_URLS):  # second line of defence: see urlsafe.py
        log.warning("%s: %s is not an http(s) URL; not published", record_id, key)


def _put(out: dict[str, Any], attr: str, value: Any) -> None:
    """Set an attribute; a non-URL value of a URL attribute goes under the prefixed name."""
    if attr in URL_ATTRIBUTES and not is_safe_url(value):
        out[PREFIX + attr] = value
    else:
        out[attr] = value


def _source_times(data: Mapping[str, Any], out: dict[str, Any]) -> None:
    """The source's own ``created``/``modified`` beside the store's."""
    for attr, name in (("created", SOURCE_CREATED), ("modified", SOURCE_MODIFIED)):
        if isinstance(data.get(attr), str):
            out[name] = data[attr]
