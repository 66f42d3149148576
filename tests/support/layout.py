"""Where a test file belongs: the rule of CONTRIBUTING.md ("Where things go"), as code.

A test of ``ris_connector/<package path>/<module>.py`` is ``tests/<package path>/test_<module>.py``;
more files for one module are ``test_<module>_<aspect>.py``; ``<module>`` may also name a
sub-package tested as a whole (``tests/test_feed.py`` for ``ris_connector/feed/``). Suites that
cut across the package sit in the folders of ``CROSS_CUTTING``.
``python -m tests.support.layout`` lists the test files outside the rule and counts them.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Folders of suites that span the package: real recordings, security promises, whole-CLI
#: and multi-process runs, checks of the repository itself (imports, docs, this layout).
CROSS_CUTTING = frozenset({"real", "security", "e2e", "project"})


def _modules(package: Path) -> set[str]:
    """The names a test file in the mirror of ``package`` may start with: its modules and sub-packages."""
    names = {p.stem for p in package.glob("*.py") if p.stem not in {"__init__", "__main__"}}
    return names | {p.name for p in package.iterdir() if (p / "__init__.py").is_file()}


def misplaced(root: Path = ROOT) -> list[Path]:
    """The test files under ``root/tests`` that neither mirror a module nor sit in a cross-cutting folder."""
    tests, package = root / "tests", root / "ris_connector"
    found: list[Path] = []
    for path in sorted(tests.rglob("test_*.py")):
        parts = path.relative_to(tests).parts
        if parts[0] in CROSS_CUTTING or parts[0] in {"fixtures", "support"}:
            continue
        mirror = package.joinpath(*parts[:-1])
        name = path.stem.removeprefix("test_")
        if not mirror.is_dir() or not any(name == m or name.startswith(m + "_") for m in _modules(mirror)):
            found.append(path.relative_to(root))
    return found


if __name__ == "__main__":
    outside = misplaced()
    for path in outside:
        print(path)
    total = sum(1 for p in (ROOT / "tests").rglob("test_*.py") if "fixtures" not in p.parts)
    print(f"{len(outside)} of {total} test files outside the package layout")
    sys.exit(0)
