"""How the mapping plan reads the values of one source object: an XML element or a SOAP result.

The plan (:mod:`ris_connector.mapping.compiled`) is the one interpreter of a mapping; what
differs between the sources is only how the values at a path are read, so each kind of object
gets a *view* with the same three questions: the present values at a path, the first present
value of several paths, whether paths hold a value. "Present" means: not empty, not ``None``,
and, for text, not one of the field's null values (text is stripped).

* :class:`ElementValues` (XML) reads each record element's children once into a dict (local
  name -> texts): a path naming one child is a dict look-up, every other path (``a/b``,
  ``@attr``, ``..``, ``/root``) goes through :class:`~ris_connector.mapping.paths.XmlLookup`.
* :class:`ObjectValues` (SOAP) reads nested dicts and lists as zeep serialized them, with
  their typed values (numbers, booleans, datetimes) kept as they are.
"""

from __future__ import annotations

from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from lxml import etree

from ris_connector.mapping.paths import MAX_MEMO as MAX_MEMO  # the plan and tests read the memo size here
from ris_connector.mapping.paths import XmlLookup, element_text, local_name_of, object_values

#: A compiled path: (True, child name) for a direct child, (False, path) for anything else.
Path = tuple[bool, str]


def compile_path(path: str) -> Path:
    """``(True, name)`` when ``path`` names one direct child element, else ``(False, path)``."""
    if path.startswith("/") or ".." in path:
        return (False, path)
    segments = [s for s in path.split("/") if s and s != "."]
    if len(segments) == 1 and not segments[0].startswith("@"):
        return (True, segments[0])
    return (False, path)


@dataclass(frozen=True)
class Place:
    """Where a source object was read: URL (for ``url`` fields), position, call arguments."""

    url: str | None = None
    position: int = 0
    root: Any = None
    """The whole result a SOAP object belongs to (for paths starting with ``/``)."""
    params: AbcMapping[str, Any] | None = None
    """Arguments of the SOAP call; for XML the export URL's query is used."""

    def param(self, name: str) -> list[Any]:
        """The values of a call argument or URL query parameter (names compared without case)."""
        wanted = name.lower()
        if self.params is not None:
            return [v for k, v in self.params.items() if k.lower() == wanted and v is not None]
        if not self.url:
            return []
        return [v for k, v in parse_qsl(urlsplit(self.url).query) if k.lower() == wanted]


class ElementValues:
    """The values of one record element: its children's texts by local name, read once."""

    __slots__ = ("_lookup", "element", "kids", "present")

    def __init__(self, element: etree._Element, names: dict[Any, str], nulls: frozenset[str]) -> None:
        self.element = element
        self._lookup: XmlLookup | None = None
        kids: dict[str, list[str]] = {}
        present: set[str] = set()
        known = names.get
        for child in element:
            tag = child.tag
            name = known(tag)
            if name is None:
                name = local_name_of(tag, names)
            if not name:
                continue  # a comment, processing instruction or entity: no value
            raw = child.text
            if len(child):
                text = element_text(child)
            elif raw is None:
                continue
            else:
                text = raw.strip() or None
            if text is None:
                continue
            found = kids.get(name)
            if found is None:
                kids[name] = [text]
            else:
                found.append(text)
            if text not in nulls:
                present.add(name)
        self.kids = kids
        """Non-empty (stripped) texts of the children by local name, in document order."""
        self.present: set[str] | None = present
        """Names of the children with a value that is not one of the mapping's null values."""

    @property
    def lookup(self) -> XmlLookup:
        """The general path reader for this element (created on first use)."""
        if self._lookup is None:
            self._lookup = XmlLookup(self.element)
        return self._lookup

    def get(self, path: Path) -> list[str]:
        """The non-empty text values at a compiled path."""
        simple, key = path
        if simple:
            return self.kids.get(key) or []
        return self.lookup(key)

    def values(self, path: Path, nulls: frozenset[str]) -> list[Any]:
        """The present values at ``path``."""
        return [v for v in self.get(path) if v not in nulls]

    def first(self, paths: tuple[Path, ...], nulls: frozenset[str]) -> list[Any]:
        """The first present value of ``paths`` (a one-element list), or none."""
        kids = self.kids
        for simple, key in paths:
            for v in kids.get(key, ()) if simple else self.lookup(key):
                if v not in nulls:
                    return [v]
        return []

    def has(self, paths: tuple[Path, ...], nulls: frozenset[str], every: bool) -> bool:
        """Whether every (``every``) or any of the paths has a present value."""
        if every:
            return all(any(v not in nulls for v in self.get(p)) for p in paths)
        return any(any(v not in nulls for v in self.get(p)) for p in paths)


class ObjectValues:
    """The values of one SOAP result object: nested dicts and lists, typed values kept."""

    __slots__ = ("_found", "obj", "present", "root")

    def __init__(self, obj: Any, root: Any = None) -> None:
        self.obj = obj
        self.root = root
        self.present: set[str] | None = None  # no precomputed names: conditions read their paths
        self._found: dict[str, list[Any]] = {}

    def _at(self, key: str) -> list[Any]:
        """The non-empty values at a path (text stripped), memoized: several specs read them."""
        found = self._found.get(key)
        if found is None:
            found = []
            for value in object_values(self.obj, key, root=self.root):
                if isinstance(value, str):
                    value = value.strip()
                    if not value:
                        continue
                found.append(value)
            self._found[key] = found
        return found

    def values(self, path: Path, nulls: frozenset[str]) -> list[Any]:
        """The present values at ``path``."""
        return [v for v in self._at(path[1]) if not (isinstance(v, str) and v in nulls)]

    def first(self, paths: tuple[Path, ...], nulls: frozenset[str]) -> list[Any]:
        """The present values of the first of ``paths`` that has any (a converter reads the first)."""
        for path in paths:
            found = self.values(path, nulls)
            if found:
                return found
        return []

    def has(self, paths: tuple[Path, ...], nulls: frozenset[str], every: bool) -> bool:
        """Whether every (``every``) or any of the paths has a present value."""
        if every:
            return all(self.values(p, nulls) for p in paths)
        return any(self.values(p, nulls) for p in paths)


View = ElementValues | ObjectValues
