"""Imports point down: the layers of ARCHITECTURE.md, checked on the import graph of the source.

A module may import modules of its own layer or of a layer below, never one above, and no
modules import each other in a circle (directly or through others). Imports inside functions
count: deferring an upward import hides it from a reader, it does not remove it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.importgraph import Import, cycles, imports, modules

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "ris_connector"

#: The layers from the bottom up, each a set of the package's top-level modules and packages
#: (``ris_connector`` itself is the public API facade, which imports from everywhere below it).
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "foundation",
        frozenset(
            {
                "version",
                "errors",
                "logsafe",
                "clock",
                "jsontext",
                "urlsafe",
                "xmlsafe",
                "runtime",
                "generated",
                "notices",
            }
        ),
    ),
    ("models", frozenset({"models"})),
    ("values and transport", frozenset({"items", "schema", "normalize", "http"})),
    ("settings, stores, mappings", frozenset({"config", "store", "mapping"})),
    ("adapters", frozenset({"adapters"})),
    ("engine", frozenset({"sync"})),
    (
        "services",
        frozenset({"health", "describe", "check", "feed", "files", "reminders", "sinks", "metrics", "outputs"}),
    ),
    ("entry points", frozenset({PACKAGE, "celery", "testing", "sample", "scaffold"})),
    ("commands", frozenset({"cli", "__main__"})),
)

#: (importing module, imported module) -> why the upward import is right. Keep it empty.
ALLOWED: dict[tuple[str, str], str] = {}


def unit(module: str) -> str:
    """The top-level module or package ``module`` belongs to (the package root for itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def layer_of(module: str) -> int:
    """The index in :data:`LAYERS` of ``module``'s layer."""
    name = unit(module)
    for number, (_, members) in enumerate(LAYERS):
        if name in members:
            return number
    raise KeyError(name)


def upward(edges: list[Import]) -> list[Import]:
    """The imports from a lower layer to a higher one that :data:`ALLOWED` does not excuse."""
    return [e for e in edges if layer_of(e.target) > layer_of(e.source) and (e.source, e.target) not in ALLOWED]


def _show(e: Import) -> str:
    source, target = LAYERS[layer_of(e.source)][0], LAYERS[layer_of(e.target)][0]
    return f"{e.source}:{e.line} ({source}) imports {e.target} ({target})"


def test_every_module_has_a_layer() -> None:
    """A new top-level module or package must be placed in a layer (here and in ARCHITECTURE.md)."""
    unplaced = sorted({unit(m) for m in modules(ROOT, PACKAGE)} - set().union(*(m for _, m in LAYERS)))
    assert not unplaced, f"place these in LAYERS (tests/project/test_architecture.py) and ARCHITECTURE.md: {unplaced}"


def test_no_import_points_upward() -> None:
    offenders = upward(imports(ROOT, PACKAGE))
    assert not offenders, "imports from a lower layer to a higher one:\n" + "\n".join(map(_show, offenders))


def test_no_import_cycles() -> None:
    found = cycles(imports(ROOT, PACKAGE))
    assert not found, "modules that import each other (in a circle):\n" + "\n".join(" <-> ".join(c) for c in found)


def test_layers_are_documented() -> None:
    """ARCHITECTURE.md names every layer, so the picture a newcomer reads is the one checked here."""
    text = (ROOT / "ARCHITECTURE.md").read_text("utf-8")
    missing = [name for name, _ in LAYERS if f"**{name}**" not in text]
    assert not missing, f"ARCHITECTURE.md does not describe the layers {missing}"


def test_the_checks_see_upward_imports_in_functions_and_cycles(tmp_path: Path) -> None:
    """The graph sees what the checks above rely on: deferred and relative imports, cycles."""
    pkg = tmp_path / PACKAGE
    (pkg / "sync").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "models.py").write_text("def late():\n    from ris_connector.sync import engine\n")
    (pkg / "sync" / "__init__.py").write_text("")
    (pkg / "sync" / "engine.py").write_text("from . import report\n")
    (pkg / "sync" / "report.py").write_text("from .engine import x\n")
    edges = imports(tmp_path, PACKAGE)
    assert [_show(e) for e in upward(edges)] == [
        "ris_connector.models:2 (models) imports ris_connector.sync.engine (engine)"
    ]
    assert cycles(edges) == [["ris_connector.sync.engine", "ris_connector.sync.report"]]


@pytest.mark.parametrize("module", ["ris_connector.notices", "ris_connector.sync.engine", "ris_connector.cli"])
def test_layer_lookup(module: str) -> None:
    assert 0 <= layer_of(module) < len(LAYERS)
