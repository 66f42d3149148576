"""The specification's view of an OParl endpoint: walk System, Bodies and the four main lists as a
strict client does, and count every deviation by class.

The walk follows the rules of the reference validator (oparl-validator-rs) so that its problem
classes come out with its counts on the same data; the class names here are our own:

* ``required-field-missing`` (``Type.field``): a required field absent or null.
* ``empty-string`` (``Type.field``): a text field (or an entry of a text list) given as ``""``.
* ``http-id``: an object whose ``id`` uses plain ``http:`` (counted at each sighting).
* ``list-schema-mismatch``: a list page whose JSON does not have the shape of a list page of
  that type (a value of the wrong JSON type anywhere in it); its objects are not checked further.
* ``request-retried`` / ``request-failed``: a request that failed and was tried again, or that
  failed three times (the list is then given up).
* ``object-missing`` / ``object-not-in-list`` (per referenced type): an object referenced but
  in none of the lists walked, which cannot be fetched / which can be fetched by itself.

The walk reads pages one after the other, without filters, and stops a list that loops.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ris_connector.check.spec import FIELDS, VALIDATED_LISTS, Field, required
from ris_connector.errors import SourceError
from ris_connector.http import HttpClient

#: Attempts per list page before it is given up (as the reference validator does).
ATTEMPTS = 3
MAX_PAGES = 100_000


@dataclass
class ProblemGroup:
    """All problems of one class and path: how many, and the first example."""

    cls: str
    path: str
    count: int = 0
    example: str = ""


@dataclass
class ListStats:
    """What one list served during the walk."""

    body: str
    name: str
    type: str
    url: str
    pages: int = 0
    objects: int = 0
    deleted: int = 0
    claimed_total: int | None = None
    """``pagination.totalElements`` of the first page, if given."""
    seconds: list[float] = field(default_factory=list)
    bytes: int = 0
    given_up: bool = False
    loop: bool = False


@dataclass
class Walk:
    """Everything the walk saw."""

    problems: dict[tuple[str, str], ProblemGroup] = field(default_factory=dict)
    lists: list[ListStats] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    links: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """(referenced type, URL) -> the objects that reference it, in order."""
    system: dict[str, Any] | None = None
    bodies: list[dict[str, Any]] = field(default_factory=list)
    aborted: str = ""
    """Why the walk stopped early (the validator stops at the same point), empty if it did not."""

    def add(self, cls: str, path: str, example: str) -> None:
        group = self.problems.setdefault((cls, path), ProblemGroup(cls, path, 0, example))
        group.count += 1

    def counts(self) -> dict[tuple[str, str], int]:
        """(class, path) -> count."""
        return {key: group.count for key, group in sorted(self.problems.items())}


def shape_error(value: Any, type_name: str) -> str | None:
    """Why ``value`` is not an object of ``type_name`` in shape (None if it is)."""
    if not isinstance(value, dict):
        return f"a {type_name} must be a JSON object, got {type(value).__name__}"
    fields = FIELDS[type_name]
    for name, item in value.items():
        spec = fields.get(name)
        if spec is None or item is None:
            continue
        if spec.many:
            if not isinstance(item, list):
                return f"{type_name}.{name} must be a list, got {type(item).__name__}"
            for element in item:
                problem = _single(element, spec, type_name)
                if problem:
                    return problem
        else:
            problem = _single(item, spec, type_name)
            if problem:
                return problem
    return None


def _single(value: Any, spec: Field, type_name: str) -> str | None:
    where = f"{type_name}.{spec.name}"
    if spec.shape in ("str", "url", "ref"):
        ok = isinstance(value, str)
    elif spec.shape == "bool":
        ok = isinstance(value, bool)
    elif spec.shape == "int":
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**64
    elif spec.shape == "map":
        ok = isinstance(value, dict)
    else:  # obj
        if not isinstance(value, dict):
            return f"{where} must be an embedded object, got {type(value).__name__}"
        return shape_error(value, str(spec.target))
    return None if ok else f"{where} has the wrong JSON type ({type(value).__name__})"


def page_shape_error(page: Any, type_name: str) -> str | None:
    """Why ``page`` is not a list page of ``type_name`` objects (None if it is)."""
    if not isinstance(page, dict):
        return f"a list page must be a JSON object, got {type(page).__name__}"
    for key, kind in (("data", list), ("pagination", dict), ("links", dict)):
        if not isinstance(page.get(key), kind):
            return f"a list page needs {key!r} ({kind.__name__})"
    for entry in page["data"]:
        problem = shape_error(entry, type_name)
        if problem:
            return problem
    return None


def _detail(obj_id: str | None, url: str) -> str:
    return url if obj_id == url else f"{obj_id or 'object without id'} in {url}"


class ConformanceWalk:
    """Walks one endpoint; ``http`` should make one attempt per request (this class retries)."""

    def __init__(
        self,
        http: HttpClient,
        *,
        pause: float = 1.0,
        max_pages: int = MAX_PAGES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.pause = pause
        self.max_pages = max_pages
        self.sleep = sleep
        self.walk = Walk()

    # --- visiting objects ----------------------------------------------------------------
    def visit(self, obj: dict[str, Any], type_name: str, url: str) -> None:
        """Count the problems of one object (and of the objects it embeds)."""
        w = self.walk
        obj_id = obj.get("id") if isinstance(obj.get("id"), str) else None
        if obj_id is not None:
            w.ids.add(obj_id)
            if obj_id.startswith("http:"):
                w.add("http-id", "", obj_id)
        needed = required(type_name)
        for name, spec in FIELDS[type_name].items():
            value = obj.get(name)
            if value is None:
                if name in needed:
                    w.add("required-field-missing", f"{type_name}.{name}", _detail(obj_id, url))
                continue
            for item in value if spec.many else [value]:
                if spec.shape == "str" and item == "":
                    w.add("empty-string", f"{type_name}.{name}", _detail(obj_id, url))
                elif spec.shape == "ref":
                    w.links.setdefault((str(spec.target), item), []).append(obj_id or url)
                elif spec.shape == "obj":
                    self.visit(item, str(spec.target), url)

    # --- requests ------------------------------------------------------------------------
    def _get_json(self, url: str) -> tuple[Any, float, int]:
        """(decoded JSON, seconds, bytes); SourceError or ValueError when it cannot be had."""
        started = time.monotonic()
        resp = self.http.get(url)
        data = json.loads(resp.content)
        return data, time.monotonic() - started, len(resp.content)

    # --- the walk ------------------------------------------------------------------------
    def run(self, system_url: str) -> Walk:
        """Walk the endpoint at ``system_url``."""
        w = self.walk
        try:
            system, _, _ = self._get_json(system_url)
        except (SourceError, ValueError) as exc:
            w.add("request-failed", "", f"the System at {system_url} cannot be read: {exc}")
            w.aborted = "the System cannot be read"
            return w
        if shape_error(system, "System"):
            w.aborted = f"the System object has the wrong shape: {shape_error(system, 'System')}"
            return w
        w.system = system
        self.visit(system, "System", system_url)
        body_url = system.get("body")
        if not isinstance(body_url, str):
            w.add("required-field-missing", "System.body", "the System names no body list; nothing more to check")
            w.aborted = "the System names no body list"
            return w
        try:
            page, _, _ = self._get_json(body_url)
        except (SourceError, ValueError) as exc:
            w.add("request-failed", "", f"the body list at {body_url} cannot be read: {exc}")
            w.aborted = "the body list cannot be read"
            return w
        problem = page_shape_error(page, "Body")
        if problem:
            w.aborted = f"the body list is no list page of Bodies: {problem}"
            return w
        for body in page["data"]:
            self.visit(body, "Body", body_url)
            w.bodies.append(body)
        for body in w.bodies:
            missing = [name for name in VALIDATED_LISTS if not isinstance(body.get(name), str)]
            if missing:
                w.aborted = f"Body {body.get('id')} names no {', '.join(missing)} list"
                return w
            for name, type_name in VALIDATED_LISTS.items():
                self._list(str(body.get("id")), name, type_name, str(body[name]))
        return w

    def _list(self, body: str, name: str, type_name: str, url: str) -> None:
        w = self.walk
        stats = ListStats(body, name, type_name, url)
        w.lists.append(stats)
        seen: set[str] = set()
        next_url: str | None = url
        while next_url is not None:
            current: str = next_url
            if current in seen or stats.pages >= self.max_pages:
                stats.loop = True
                break
            seen.add(current)
            page: Any = None
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    page, seconds, size = self._get_json(current)
                except (SourceError, ValueError) as exc:
                    if attempt < ATTEMPTS:
                        w.add("request-retried", "", f"{current}: {exc}")
                        self.sleep(self.pause)
                        continue
                    w.add("request-failed", "", f"{current} failed {ATTEMPTS} times; the list was given up: {exc}")
                    stats.given_up = True
                    return
                stats.seconds.append(seconds)
                stats.bytes += size
                break
            stats.pages += 1
            problem = page_shape_error(page, type_name)
            if problem:
                w.add("list-schema-mismatch", "", f"{current}: {problem}")
                links = page.get("links") if isinstance(page, dict) else None
                nxt = links.get("next") if isinstance(links, dict) else None
                next_url = nxt if isinstance(nxt, str) else None
                continue
            if stats.pages == 1:
                total = page["pagination"].get("totalElements")
                stats.claimed_total = total if isinstance(total, int) else None
            for obj in page["data"]:
                stats.objects += 1
                stats.deleted += obj.get("deleted") is True
                self.visit(obj, type_name, current)
            nxt = page["links"].get("next")
            next_url = nxt if isinstance(nxt, str) else None

    def unlisted(self) -> list[tuple[str, str, list[str]]]:
        """(type, URL, referrers) of references to objects the walk did not see."""
        return [(t, url, refs) for (t, url), refs in sorted(self.walk.links.items()) if url not in self.walk.ids]

    def classify_unlisted(self, loads: Callable[[str], bool]) -> None:
        """Count ``object-not-in-list`` / ``object-missing`` per referenced type (``loads``: can
        the URL be fetched by itself)."""
        for type_name, url, refs in self.unlisted():
            others = f" and {len(refs) - 1} more" if len(refs) > 1 else ""
            cls = "object-not-in-list" if loads(url) else "object-missing"
            self.walk.add(cls, type_name, f"{url} referenced by {refs[0]}{others}")
