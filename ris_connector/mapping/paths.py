"""Paths into a record's source object: an lxml element (XML) or nested dicts/lists (SOAP).

Syntax, deliberately small: segments separated by ``/``; ``..`` is the parent; ``@name`` (last)
an attribute; a leading ``/`` starts at the document's root element (or the operation's result).
Element names are matched without namespace. A path yields every value it reaches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lxml import etree

from ris_connector.xmlsafe import local_name

#: Size of each memo (tag names, relation ids, inputs of repeated records); a full memo starts
#: again, so memory stays bounded whatever the export holds.
MAX_MEMO = 4096


def local_name_of(tag: Any, names: dict[Any, str]) -> str:
    """The local name of an element tag, remembered in ``names`` (bounded: a hostile export may
    invent a new tag per element); "" for the tags of comments, PIs and entities."""
    if len(names) >= MAX_MEMO:
        names.clear()
    name = names[tag] = tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
    return name


def element_text(element: etree._Element) -> str | None:
    """The text content of an element, stripped; None when empty."""
    text = "".join(element.itertext()).strip()
    return text or None


def xml_values(element: etree._Element, path: str) -> list[str]:
    """Text values at ``path`` from ``element``."""
    nodes = [element]
    if path.startswith("/"):
        nodes = [element.getroottree().getroot()]
        path = path[1:]
    segments = [s for s in path.split("/") if s and s != "."]
    for i, segment in enumerate(segments):
        if segment.startswith("@"):
            if i != len(segments) - 1:
                return []
            name = segment[1:]
            return [v.strip() for n in nodes if (v := _attribute(n, name)) is not None and v.strip()]
        if segment == "..":
            nodes = [p for n in nodes if (p := n.getparent()) is not None]
        else:
            nodes = [c for n in nodes for c in n if local_name(c) == segment]
        if not nodes:
            return []
    return [t for n in nodes if (t := element_text(n)) is not None]


class XmlLookup:
    """:func:`xml_values` for one record element, memoized: several specs read the same paths."""

    __slots__ = ("_children", "_element", "_values")

    def __init__(self, element: etree._Element) -> None:
        self._element = element
        self._values: dict[str, list[str]] = {}
        self._children: dict[int, dict[str, list[etree._Element]]] = {}

    def __call__(self, path: str) -> list[str]:
        found = self._values.get(path)
        if found is None:
            found = self._values[path] = self._compute(path)
        return found

    def _kids(self, node: etree._Element) -> dict[str, list[etree._Element]]:
        index = self._children.get(id(node))
        if index is None:
            index = {}
            for child in node:
                name = local_name(child)
                if name:
                    index.setdefault(name, []).append(child)
            self._children[id(node)] = index
        return index

    def _compute(self, path: str) -> list[str]:
        if path.startswith("/") or ".." in path:
            return xml_values(self._element, path)
        nodes = [self._element]
        segments = [s for s in path.split("/") if s and s != "."]
        for i, segment in enumerate(segments):
            if segment.startswith("@"):
                if i != len(segments) - 1:
                    return []
                return [v.strip() for n in nodes if (v := _attribute(n, segment[1:])) is not None and v.strip()]
            nodes = [c for n in nodes for c in self._kids(n).get(segment, ())]
            if not nodes:
                return []
        return [t for n in nodes if (t := element_text(n)) is not None]


def _attribute(element: etree._Element, name: str) -> str | None:
    value = element.get(name)
    if value is not None:
        return str(value)
    for key, val in element.attrib.items():
        if str(key).rsplit("}", 1)[-1] == name:
            return str(val)
    return None


def object_values(obj: Any, path: str, *, root: Any = None) -> list[Any]:
    """Values at ``path`` in nested dicts and lists (``None`` values are left out)."""
    nodes: list[Any] = [obj]
    if path.startswith("/"):
        nodes = [root if root is not None else obj]
        path = path[1:]
    for segment in (s for s in path.split("/") if s and s != "."):
        key = segment.lstrip("@")
        found: list[Any] = []
        for node in _flatten(nodes):
            if isinstance(node, Mapping) and node.get(key) is not None:
                found.append(node[key])
        nodes = found
        if not nodes:
            return []
    return [v for v in _flatten(nodes) if v is not None]


def _flatten(nodes: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for node in nodes:
        if isinstance(node, (list, tuple)):
            out.extend(_flatten(node))
        else:
            out.append(node)
    return out


class ElementPath:
    """A record element's path (``list/element``, ``/export/list/element``, ``*`` any name),
    compiled: whether an element is at it, read from its end with the plan's tag-name memo."""

    __slots__ = ("anchored", "names", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self.anchored = path.startswith("/")
        self.names = tuple(reversed([s for s in path.strip("/").split("/") if s]))

    def matches(self, element: etree._Element, names: dict[Any, str]) -> bool:
        """Whether ``element`` is at the path (``names``: tag -> local name, see :func:`local_name_of`)."""
        node: etree._Element | None = element
        for name in self.names:
            if node is None:
                return False
            if name != "*":
                tag = node.tag
                local = names.get(tag)
                if (local if local is not None else local_name_of(tag, names)) != name:
                    return False
            node = node.getparent()
        return not self.anchored or node is None


def element_matches(element: etree._Element, path: str) -> bool:
    """Whether ``element`` is at ``path`` read from its end (``list/element``: an ``element`` in a ``list``)."""
    return ElementPath(path).matches(element, {})


def element_to_dict(element: etree._Element, depth: int = 0) -> dict[str, Any]:
    """A JSON-able view of an element for quarantine rows and ``keep_raw`` (children by name)."""
    out: dict[str, Any] = {f"@{str(k).rsplit('}', 1)[-1]}": str(v) for k, v in element.attrib.items()}
    for child in element:
        name = local_name(child)
        if not name:
            continue
        value: Any = element_to_dict(child, depth + 1) if len(child) and depth < 4 else element_text(child)
        if name in out:
            existing = out[name]
            out[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            out[name] = value
    if not len(element) and not out:
        return {"#text": element_text(element)}
    return out
