"""Deterministic generator of a realistic German council dataset in OParl shape.

Objects are stored once, as plain dicts keyed by URL path. Attributes that the spec
embeds (e.g. ``Meeting.agendaItem``) hold the *ids* of the embedded objects in storage;
:mod:`ris_connector.sample.views` expands them when serving.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

JsonObj = dict[str, Any]

BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=BERLIN)
VERSIONS = ("1.0", "1.1")

#: type -> attribute -> True for an array of embedded objects, False for a single one.
EMBEDDED: dict[str, dict[str, bool]] = {
    "Body": {"legislativeTerm": True, "location": False},
    "Organization": {"location": False},
    "Person": {"membership": True},
    "Meeting": {
        "location": False,
        "invitation": False,
        "resultsProtocol": False,
        "verbatimProtocol": False,
        "auxiliaryFile": True,
        "agendaItem": True,
    },
    "AgendaItem": {"resolutionFile": False, "auxiliaryFile": True},
    "Paper": {"mainFile": False, "auxiliaryFile": True, "location": True, "consultation": True},
}
#: type -> URL path segment of its objects.
SEGMENTS: dict[str, str] = {
    "Body": "bodies",
    "LegislativeTerm": "legislativeterms",
    "Organization": "organizations",
    "Person": "persons",
    "Membership": "memberships",
    "Meeting": "meetings",
    "AgendaItem": "agendaitems",
    "Paper": "papers",
    "Consultation": "consultations",
    "File": "files",
    "Location": "locations",
}
TYPE_OF_SEGMENT: dict[str, str] = {seg: t for t, seg in SEGMENTS.items()}
#: type -> Body attribute naming its external list.
LIST_KEYS: dict[str, str] = {
    "Organization": "organization",
    "Person": "person",
    "Meeting": "meeting",
    "Paper": "paper",
    "AgendaItem": "agendaItem",
    "Consultation": "consultation",
    "File": "file",
    "Location": "locationList",
    "LegislativeTerm": "legislativeTermList",
    "Membership": "membership",
}
LISTS_BY_VERSION: dict[str, tuple[str, ...]] = {
    "1.0": ("organization", "person", "meeting", "paper"),
    "1.1": tuple(LIST_KEYS.values()),
}
#: Object counts at scale 1.0.
SCALE_ONE: dict[str, int] = {
    "Organization": 50,
    "Person": 500,
    "Membership": 2000,
    "Meeting": 5000,
    "Paper": 20000,
    "File": 40000,
}


def iso(ts: float) -> str:
    """Format an epoch timestamp as ISO 8601 date-time in Europe/Berlin (seconds precision)."""
    return datetime.fromtimestamp(int(ts), BERLIN).isoformat()


def short_type(type_uri: str) -> str:
    """``https://schema.oparl.org/1.1/Paper`` -> ``Paper``."""
    return type_uri.rstrip("/").rsplit("/", 1)[-1]


@dataclass
class Dataset:
    """A generated OParl system: objects by URL path, list membership per body, mutation API."""

    base_url: str
    version: str
    now: datetime
    system: JsonObj = field(default_factory=dict)
    bodies: list[str] = field(default_factory=list)
    objects: dict[str, JsonObj] = field(default_factory=dict)
    lists: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    list_paths: dict[str, tuple[str, str]] = field(default_factory=dict)
    times: dict[str, tuple[float, float]] = field(default_factory=dict)
    parents: dict[str, list[str]] = field(default_factory=dict)
    unlisted: set[str] = field(default_factory=set)
    missing_refs: list[str] = field(default_factory=list)
    revision: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    clock: datetime = field(init=False)
    _counters: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.prefix = parts.path.rstrip("/")
        self.schema = f"https://schema.oparl.org/{self.version}/"
        self.clock = self.now

    # -- addressing ------------------------------------------------------------------------------
    @property
    def system_url(self) -> str:
        """URL of the System object."""
        return f"{self.base_url}/system"

    def path_of(self, obj_id: str) -> str:
        """URL path for an id, a path, or an id using the ``https_ids`` form."""
        if obj_id.startswith(self.origin):
            return obj_id[len(self.origin) :]
        path = urlsplit(obj_id).path if "://" in obj_id else obj_id
        return path[4:] if path.startswith("/ris" + self.prefix) else path

    def id_of(self, path: str) -> str:
        """Absolute id URL for a path."""
        return self.origin + path

    def new_id(self, type_name: str) -> str:
        """Reserve the next id for ``type_name`` (e.g. ``"Paper"``)."""
        n = self._counters.get(type_name, 0) + 1
        self._counters[type_name] = n
        return f"{self.origin}{self.prefix}/{SEGMENTS[type_name]}/{n}"

    def get(self, obj_id: str) -> JsonObj:
        """The stored object (embedded attributes hold ids); KeyError if unknown."""
        return self.objects[self.path_of(obj_id)]

    def ids(self, type_name: str, *, include_deleted: bool = False) -> list[str]:
        """Ids of all listed objects of a type (``"Paper"`` or a type URI), in storage order."""
        seg = "/" + SEGMENTS[short_type(type_name)] + "/"
        start = len(self.prefix)
        return [
            self.origin + p
            for p, o in self.objects.items()
            if p.startswith(seg, start) and p not in self.unlisted and (include_deleted or not o.get("deleted"))
        ]

    # -- mutation --------------------------------------------------------------------------------
    def _stamp(self, modified: datetime | str | None) -> tuple[str, float]:
        if modified is None:
            self.clock = self.clock + timedelta(seconds=1)
            return self.clock.isoformat(timespec="seconds"), self.clock.timestamp()
        if isinstance(modified, str):
            modified = datetime.fromisoformat(modified.replace("Z", "+00:00"))
        if modified > self.clock:
            self.clock = modified
        return modified.isoformat(timespec="seconds"), modified.timestamp()

    def _touch(self, path: str, text: str, ts: float, seen: set[str]) -> None:
        """Set ``modified`` on path and (recursively) on every object embedding it."""
        if path in seen:
            return
        seen.add(path)
        obj = self.objects.get(path)
        if obj is None:
            return
        obj["modified"] = text
        self.times[path] = (self.times.get(path, (ts, ts))[0], ts)
        for parent in self.parents.get(path, ()):
            self._touch(parent, text, ts, seen)

    def update(self, obj_id: str, *, modified: datetime | str | None = None, **fields: Any) -> JsonObj:
        """Change fields of an object and bump ``modified`` (also of the objects embedding it)."""
        with self.lock:
            path = self.path_of(obj_id)
            obj = self.objects[path]
            obj.update(fields)
            self._touch(path, *self._stamp(modified), set())
            self.revision += 1
            return obj

    def delete(self, obj_id: str, *, modified: datetime | str | None = None) -> JsonObj:
        """Replace an object by a tombstone ``{id, type, deleted: true, modified}``."""
        with self.lock:
            path = self.path_of(obj_id)
            old = self.objects[path]
            text, ts = self._stamp(modified)
            self.objects[path] = {"id": old["id"], "type": old["type"], "deleted": True, "modified": text}
            self._touch(path, text, ts, set())
            self.revision += 1
            return self.objects[path]

    def add(self, obj: JsonObj, *, body: str | None = None, modified: datetime | str | None = None) -> str:
        """Add a new object (embedded attributes may hold dicts) to its body list; return its id."""
        with self.lock:
            text, ts = self._stamp(modified)
            new_id = self._ingest(dict(obj), text, ts, self.path_of(body or self.bodies[0]))
            self.revision += 1
            return new_id

    def _ingest(self, obj: JsonObj, text: str, ts: float, body_path: str) -> str:
        tname = short_type(obj["type"])
        obj["type"] = self.schema + tname
        obj_id = obj.setdefault("id", self.new_id(tname))
        obj.setdefault("created", text)
        obj.setdefault("modified", text)
        path = self.path_of(obj_id)
        for attr, is_list in EMBEDDED.get(tname, {}).items():
            value = obj.get(attr)
            children = value if is_list and isinstance(value, list) else [value]
            refs = [
                self._ingest(dict(c), text, ts, body_path) if isinstance(c, dict) else c
                for c in children
                if c is not None
            ]
            for ref in refs:
                self.parents.setdefault(self.path_of(ref), []).append(path)
            if value is not None:
                obj[attr] = refs if is_list else refs[0]
        self.objects[path] = obj
        self.times[path] = (ts, ts)
        key = LIST_KEYS.get(tname)
        lst = self.lists.get(body_path, {}).get(key or "")
        if lst is not None:
            lst.append(path)
        self._link_back(tname, obj, path)
        return str(obj_id)

    def _link_back(self, tname: str, obj: JsonObj, path: str) -> None:
        """Register a new embedded-kind object with the parent it names (e.g. AgendaItem.meeting)."""
        owner_attr = {
            "AgendaItem": ("meeting", "agendaItem"),
            "Consultation": ("paper", "consultation"),
            "Membership": ("person", "membership"),
        }.get(tname)
        if owner_attr and isinstance(obj.get(owner_attr[0]), str):
            owner_path = self.path_of(obj[owner_attr[0]])
            owner = self.objects.get(owner_path)
            if owner is not None and not owner.get("deleted"):
                refs = owner.setdefault(owner_attr[1], [])
                if obj["id"] not in refs:
                    refs.append(obj["id"])
                self.parents.setdefault(path, []).append(owner_path)
                self._touch(owner_path, obj["modified"], self.times[path][1], set())
        if tname == "Membership" and isinstance(obj.get("organization"), str):
            org = self.objects.get(self.path_of(obj["organization"]))
            if org is not None and not org.get("deleted"):
                org.setdefault("membership", []).append(obj["id"])

    def advance(self, seconds: float) -> datetime:
        """Move the mutation clock forward and return it."""
        with self.lock:
            self.clock = self.clock + timedelta(seconds=seconds)
            return self.clock
