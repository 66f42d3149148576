"""The test-suite is laid out like the package (CONTRIBUTING.md, "Where things go")."""

from __future__ import annotations

from pathlib import Path

from tests.support.layout import CROSS_CUTTING, ROOT, misplaced


def test_every_test_file_mirrors_a_module_or_sits_in_a_cross_cutting_folder() -> None:
    assert misplaced() == [], "move these to tests/<package path>/test_<module>[_<aspect>].py (CONTRIBUTING.md)"


def test_a_file_outside_the_rule_is_found(tmp_path: Path) -> None:
    (tmp_path / "ris_connector" / "sync").mkdir(parents=True)
    (tmp_path / "ris_connector" / "sync" / "engine.py").touch()
    (tmp_path / "ris_connector" / "store").mkdir()
    (tmp_path / "ris_connector" / "store" / "__init__.py").touch()
    for name in ("sync/test_engine.py", "sync/test_engine_faults.py", "test_store_backends.py", "e2e/test_any.py"):
        (tmp_path / "tests" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "tests" / name).touch()
    for name in ("test_faults.py", "sync/test_engines.py", "ops/test_metrics.py"):
        (tmp_path / "tests" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "tests" / name).touch()
    assert "e2e" in CROSS_CUTTING
    assert {p.as_posix() for p in misplaced(tmp_path)} == {
        "tests/test_faults.py",
        "tests/sync/test_engines.py",
        "tests/ops/test_metrics.py",
    }


def test_no_conftest_edits_sys_path() -> None:
    """The helpers are the package ``tests.support``; pytest's ``pythonpath`` puts the repository on the path."""
    assert [p for p in (ROOT / "tests").rglob("conftest.py") if "sys.path" in p.read_text(encoding="utf-8")] == []
