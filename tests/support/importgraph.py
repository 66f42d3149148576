"""The import graph of a package, read from its source with ``ast`` (nothing is imported).

Every ``import`` counts, at module level or inside a function or an ``if TYPE_CHECKING`` block:
each is a dependency a reader must follow. ``from a.b import c`` points at the module ``a.b.c``
when ``c`` is a submodule, else at ``a.b``; relative imports are resolved against the module
that makes them. Importing a submodule also runs its package's ``__init__``, but that implicit
edge is left out: it would tie every module to its own package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Import:
    """One import statement's edge: ``source`` imports ``target`` (line ``line``)."""

    source: str
    target: str
    line: int


def modules(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``package`` under ``root``."""
    out: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports(root: Path, package: str) -> list[Import]:
    """Every import of a module of ``package`` by a module of ``package`` (no self-imports)."""
    found = modules(root, package)
    edges: dict[Import, None] = {}
    for name, path in found.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            for target in _targets(node, name, is_package, found):
                if target.split(".")[0] == package and target != name:
                    edges[Import(name, target, getattr(node, "lineno", 0))] = None
    return list(edges)


def _targets(node: ast.AST, module: str, is_package: bool, known: Mapping[str, Path]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield _known(alias.name, known)
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join([*base, *([node.module] if node.module else [])])
        else:
            target = node.module or ""
        for alias in node.names:
            sub = f"{target}.{alias.name}"
            yield sub if sub in known else _known(target, known)


def _known(name: str, known: Mapping[str, Path]) -> str:
    """``name`` or the closest package above it that is a module of the tree."""
    while name and name not in known and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def cycles(edges: Iterable[Import]) -> list[list[str]]:
    """The import cycles: each strongly connected group of more than one module, sorted."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(start: str) -> None:  # Tarjan's algorithm, iterative (no recursion limit)
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)
