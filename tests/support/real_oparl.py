"""A local OParl 1.1 endpoint made of real captured payloads (``tests/fixtures/real``), all Somacos.

* System and Body: Wuppertal's (``wuppertal-somacos-oparl``; captured as OParl 1.0),
  served as 1.1: ``type``/``oparlVersion`` name 1.1 and the Body gets the six lists 1.1 added.
  The System's licence and product are free text, as captured.
* Lists: Karlsruhe's (``karlsruhe-somacos-oparl``, OParl 1.1): 9 meetings, 11 papers, 97
  organizations, 262 consultations; ``agendaItem``, ``file`` and ``locationList`` list the objects
  embedded in those (as Somacos lists them); ``person``, ``membership`` and ``legislativeTermList``
  are empty. Lists are paginated by ``page_size`` (``links.next``).

Both use ``/oparl/bodies/0001/...`` paths; their hosts are replaced by the local server's. Every
object answers at its own URL; anything else is 404 (the consultations name agenda items and
meetings that were not captured, which the sync records as missing). :meth:`RealOParl.update` and
:meth:`RealOParl.delete` change the served data (a deleted object is listed as a tombstone).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.static_server import Page, StaticServer

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
KARLSRUHE = REAL / "karlsruhe-somacos-oparl" / "docs"
WUPPERTAL = REAL / "wuppertal-somacos-oparl"
#: The 29 System objects meine-stadt-transparent captured from live endpoints.
SYSTEMS = REAL.parent / "oparl-real" / "meine-stadt-transparent" / "testdata" / "systems"
HOSTS = ("https://web1.karlsruhe.de", "http://oparl.wuppertal.de")
V10 = "https://schema.oparl.org/1.0/"
V11 = "https://schema.oparl.org/1.1/"
#: Body attribute -> path segment of the list.
LISTS = {
    "organization": "organizations",
    "person": "people",
    "meeting": "meetings",
    "paper": "papers",
    "agendaItem": "agendaitems",
    "consultation": "consultations",
    "file": "files",
    "locationList": "locations",
    "legislativeTermList": "terms",
    "membership": "memberships",
}
#: Attributes holding embedded objects, per type.
EMBEDDED = {
    "Meeting": ("location", "invitation", "resultsProtocol", "verbatimProtocol", "auxiliaryFile", "agendaItem"),
    "AgendaItem": ("resolutionFile", "auxiliaryFile"),
    "Paper": ("mainFile", "auxiliaryFile", "location", "consultation"),
}
LISTED_EMBEDDED = {"AgendaItem": "agendaItem", "File": "file", "Location": "locationList"}


def _load(path: Path, base: str) -> Any:
    text = path.read_text(encoding="utf-8")
    for host in HOSTS:
        text = text.replace(host, base)
    return json.loads(text.replace(V10, V11))


class RealOParl:
    """The endpoint on 127.0.0.1; ``system_url`` is what a source names."""

    def __init__(self, *, page_size: int = 50) -> None:
        self.page_size = page_size
        self.server = StaticServer().start()
        self.base = self.server.base
        self.prefix = f"{self.base}/oparl/bodies/0001"
        self.system: dict[str, Any] = _load(WUPPERTAL / "system.json", self.base)
        self.body: dict[str, Any] = _load(WUPPERTAL / "body.json", self.base)
        self.body["equivalent"] = [v for v in self.body.get("equivalent", []) if v]
        for attr, segment in LISTS.items():
            self.body[attr] = f"{self.prefix}/{segment}"
        self.lists: dict[str, list[dict[str, Any]]] = {attr: [] for attr in LISTS}
        self.lists["meeting"] = [_load(p, self.base) for p in sorted((KARLSRUHE / "meetings").glob("*.json"))]
        self.lists["paper"] = [_load(p, self.base) for p in sorted((KARLSRUHE / "papers").glob("*.json"))]
        self.lists["organization"] = _load(KARLSRUHE / "organizations.json", self.base)
        self.lists["consultation"] = _load(KARLSRUHE / "consultations.json", self.base)
        self.publish()

    @property
    def system_url(self) -> str:
        return str(self.system["id"])

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> RealOParl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- changes -------------------------------------------------------------------------
    def find(self, obj_id: str) -> dict[str, Any]:
        """The listed top-level object with ``obj_id``."""
        return next(o for objects in self.lists.values() for o in objects if o.get("id") == obj_id)

    def update(self, obj_id: str, modified: str, **fields: Any) -> None:
        """Change a listed object (or one embedded in a meeting or paper) and serve the new state."""
        for obj in self._all_objects():
            if obj.get("id") == obj_id:
                obj.update(fields, modified=modified)
        self.publish()

    def delete(self, obj_id: str, modified: str) -> None:
        """Replace a listed top-level object by its tombstone."""
        for objects in self.lists.values():
            for i, obj in enumerate(objects):
                if obj.get("id") == obj_id:
                    objects[i] = {"id": obj_id, "type": obj["type"], "created": obj.get("created"),
                                  "modified": modified, "deleted": True}  # fmt: skip
        self.publish()

    def _all_objects(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []

        def visit(obj: Any) -> None:
            if isinstance(obj, dict):
                out.append(obj)
                for attr in EMBEDDED.get(obj.get("type", "")[len(V11) :], ()):
                    value = obj.get(attr)
                    for child in value if isinstance(value, list) else [value]:
                        visit(child)

        for objects in self.lists.values():
            for obj in objects:
                visit(obj)
        return out

    # --- pages ---------------------------------------------------------------------------
    def publish(self) -> None:
        """Build every page from the current data."""
        pages: dict[str, Page] = {}

        def put(url: str, payload: Any) -> None:
            pages[url[len(self.base) :]] = Page(json.dumps(payload, ensure_ascii=False).encode(), "application/json")

        put(self.system_url, self.system)
        put(self.body["id"], self.body)
        put(str(self.system["body"]), self._page(str(self.system["body"]), [self.body], 1, 1))
        listed = {attr: list(objects) for attr, objects in self.lists.items()}
        seen: set[str] = set()
        for obj in self._all_objects():
            put(obj["id"], obj)
            kind = LISTED_EMBEDDED.get(obj["type"][len(V11) :])
            if kind and obj["id"] not in seen:
                seen.add(obj["id"])
                listed[kind].append(obj)
        for attr, objects in listed.items():
            url = str(self.body[attr])
            chunks = [objects[i : i + self.page_size] for i in range(0, len(objects), self.page_size)] or [[]]
            for number, chunk in enumerate(chunks, 1):
                page_url = url if number == 1 else f"{url}/page/{number}"
                put(page_url, self._page(url, chunk, number, len(chunks)))
        self.server.pages.clear()
        self.server.pages.update(pages)

    def _page(self, url: str, data: list[dict[str, Any]], number: int, total: int) -> dict[str, Any]:
        def link(n: int) -> str:
            return url if n == 1 else f"{url}/page/{n}"

        links = {"first": link(1), "self": link(number), "last": link(total)}
        if number < total:
            links["next"] = link(number + 1)
        return {"data": data, "pagination": {"currentPage": number, "totalPages": total}, "links": links}
