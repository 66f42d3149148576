"""Real recorded OParl payloads served again on 127.0.0.1, for checks against real data.

The recorded objects are served unchanged except for their origin (``https://web1.karlsruhe.de``
becomes ``http://127.0.0.1:PORT``, everywhere in the text). Lists are pages of the recorded
objects; an object answers at its id (listed or embedded); everything else is 404, as the real
servers answered the references that are in no list.

Objects from ``tests/fixtures/real`` (see each PROVENANCE.md). Unlike ``tests/real/replay.py``
(lists of one page, for sync tests), this server pages the lists and answers every recorded
object at its id, so a check's strict walk and its one-by-one fetches both see the recording.

* :func:`wuppertal`: Somacos Session, Wuppertal (meine-stadt-transparent's test data): the real
  System, Body and a Meeting whose persons and organizations answer 404 and are in no list.
* :func:`karlsruhe`: Somacos Session, Karlsruhe, OParl 1.1 (karlsruhe-oparl-syndication): 97
  organizations, 11 papers, 9 meetings, 262 consultations as recorded. The System and Body were
  not recorded there; the two made up here carry only what the lists need.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ris_connector.testing import LocalServer, Reply, Request
from tests.support.ristest import FIXTURES

REAL = FIXTURES / "real"  # recordings with provenance (PROVENANCE.md in each folder)


def _ids(value: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(value, dict):
        if isinstance(value.get("id"), str):
            yield value["id"], value
        for item in value.values():
            yield from _ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ids(item)


class RecordedOParl:
    """Serves ``system``, its body list and ``lists`` (list URL -> objects) recorded at ``origin``."""

    def __init__(
        self,
        origin: str,
        system: dict[str, Any],
        bodies: list[dict[str, Any]],
        lists: dict[str, list[Any]],
        page_size: int = 20,
    ) -> None:
        self.origin = origin.rstrip("/")
        self.page_size = page_size
        self.lists = {str(system["body"]): bodies, **lists}
        self.objects: dict[str, Any] = {}
        for payload in [system, *bodies, *(o for objs in lists.values() for o in objs)]:
            for oid, obj in _ids(payload):
                self.objects.setdefault(oid, obj)
        self.system_id = str(system["id"])
        self._server = LocalServer(fallback=self._reply, name="recorded-oparl")

    def start(self) -> RecordedOParl:
        self._server.start()
        self.local = self._server.base_url
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> RecordedOParl:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def requests(self) -> list[str]:
        """The request targets (path and query) seen so far."""
        return [r.target for r in self._server.requests]

    def _reply(self, request: Request) -> Reply:
        status, body = self.answer(request.target)
        return Reply(status, body, "application/json; charset=utf-8")

    @property
    def system_url(self) -> str:
        return self.local + self.system_id[len(self.origin) :]

    def _dump(self, payload: Any, status: int = 200) -> tuple[int, bytes]:
        text = json.dumps(payload, ensure_ascii=False).replace(self.origin, self.local)
        return status, text.encode("utf-8")

    def answer(self, raw: str) -> tuple[int, bytes]:
        parts = urlsplit(raw)
        recorded = self.origin + parts.path
        query = parse_qs(parts.query)
        if recorded in self.lists:
            objects = self.lists[recorded]
            since = query.get("modified_since", [None])[0]
            if since:  # a recording has no times to filter by: compare as the server would
                objects = [o for o in objects if str(o.get("modified", "")) >= since.replace(" ", "+")]
            page = int(query.get("page", ["1"])[0])
            size = self.page_size
            pages = max(1, -(-len(objects) // size))
            shown = objects[(page - 1) * size : page * size]
            links = {"first": recorded, "self": f"{recorded}?page={page}", "last": f"{recorded}?page={pages}"}
            if page < pages:
                links["next"] = f"{recorded}?page={page + 1}"
            pagination = {
                "totalElements": len(objects),
                "elementsPerPage": size,
                "currentPage": page,
                "totalPages": pages,
            }
            return self._dump({"data": shown, "pagination": pagination, "links": links})
        if recorded in self.objects:
            return self._dump(self.objects[recorded])
        return self._dump({"error": "Die angeforderte Ressource wurde nicht gefunden.", "code": 404}, 404)


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def wuppertal() -> RecordedOParl:
    folder = REAL / "wuppertal-somacos-oparl"
    system, body, meeting = (_load(folder / f"{n}.json") for n in ("system", "body", "meeting"))
    lists = {body["meeting"]: [meeting], body["organization"]: [], body["person"]: [], body["paper"]: []}
    return RecordedOParl("http://oparl.wuppertal.de", system, [body], lists)


KARLSRUHE = "https://web1.karlsruhe.de"
KARLSRUHE_BODY = f"{KARLSRUHE}/oparl/bodies/0001"


def karlsruhe() -> RecordedOParl:
    docs = REAL / "karlsruhe-somacos-oparl" / "docs"
    lists_of = {k: f"{KARLSRUHE_BODY}/{k}s" for k in ("organization", "person", "meeting", "paper", "consultation")}
    system = {
        "id": f"{KARLSRUHE}/oparl/system",
        "type": "https://schema.oparl.org/1.1/System",
        "oparlVersion": "https://schema.oparl.org/1.1/",
        "name": "Stadt Karlsruhe (recorded lists, System made up)",
        "body": f"{KARLSRUHE}/oparl/bodies",
        "vendor": "http://www.somacos.de",
    }
    body = {
        "id": KARLSRUHE_BODY,
        "type": "https://schema.oparl.org/1.1/Body",
        "name": "Stadt Karlsruhe",
        "legislativeTerm": [],
        **lists_of,
    }
    meetings = [_load(p) for p in sorted((docs / "meetings").glob("*.json"), key=lambda p: int(p.stem))]
    papers = [_load(p) for p in sorted((docs / "papers").glob("*.json"), key=lambda p: int(p.stem))]
    lists = {
        lists_of["organization"]: _load(docs / "organizations.json"),
        lists_of["person"]: [],
        lists_of["meeting"]: meetings,
        lists_of["paper"]: papers,
        lists_of["consultation"]: _load(docs / "consultations.json"),
    }
    return RecordedOParl(KARLSRUHE, system, [body], lists)
