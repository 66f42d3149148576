"""The notice registry: every code the library reports is a registered constant with a meaning,
the engine acts on that meaning (never on a code's spelling), each OParl quirk names tests that
exist, and docs/quirks.md is what the registry renders.
"""

from __future__ import annotations

import ast
import json
import pickle
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from ris_connector.adapters.base import Adapter, Checkpoint, Item, Notice
from ris_connector.cli import main
from ris_connector.config import source_from_mapping
from ris_connector.models import Location
from ris_connector.notices import CODES, QUIRKS, NoticeCode, describe, quirk_of
from ris_connector.notices.oparl import PAGINATION_LOOP, Q16_CONTROL_CHARACTERS
from ris_connector.notices.page import render_page
from ris_connector.notices.registry import _collect
from ris_connector.store import SQLiteStore
from ris_connector.sync import RunReport, SyncEngine

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ris_connector"
#: Calls whose first argument is a notice code: ``Notice(code, ...)``, ``report.warn(code, ...)``,
#: the readers' ``note(code, ...)``, the iCalendar counter's ``notes.add(code, ...)``.
EMITTERS = {"Notice", "warn", "note", "_note"}


def _library_files() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent.name != "notices":
            yield path


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _emits(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in EMITTERS
    if isinstance(func, ast.Attribute):
        receiver = func.value
        owner = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
        return func.attr in EMITTERS or (func.attr == "add" and owner == "notes")
    return False


def test_every_code_the_library_emits_is_a_registered_constant() -> None:
    """No code is written as text outside ``ris_connector/notices/``: a new code must be registered
    (with what it means) before anything can report it, and a registered one is used by name."""
    spelled: list[str] = []
    literal_codes: list[str] = []
    for path in _library_files():
        tree = ast.parse(path.read_text("utf-8"))
        docstrings = _docstrings(tree)
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in CODES and id(node) not in docstrings:
                spelled.append(f"{where}:{node.lineno}: {node.value!r} (use its constant)")
            if isinstance(node, ast.Call) and _emits(node) and node.args:
                first = node.args[0]
                if isinstance(first, (ast.Constant, ast.JoinedStr)):
                    literal_codes.append(f"{where}:{node.lineno}: {ast.unparse(first)}")
    assert not spelled, "registered codes spelled out:\n" + "\n".join(spelled)
    assert not literal_codes, "codes given as text (register them in ris_connector/notices/):\n" + "\n".join(
        literal_codes
    )


def test_the_scan_sees_the_ways_a_code_is_emitted() -> None:
    """The checks above are not blind: each emitting call shape is recognised."""
    calls = [
        'Notice("x", "m")',
        'self.report.warn("x", "m")',
        'r.note("x", "m")',
        'self._note("x", 1)',
        'self.notes.add("x", "m")',
        'notes.add("x", "m")',
    ]
    for source in calls:
        call = ast.parse(source).body[0].value  # type: ignore[attr-defined]
        assert _emits(call), source
    assert not _emits(ast.parse('seen.add("x")').body[0].value)  # type: ignore[attr-defined]


def test_each_code_says_what_happened_and_what_the_library_does() -> None:
    assert len(CODES) > 100
    vague = [code for code in CODES.values() if not code.what or not code.handling]
    assert not vague


def test_two_constants_with_one_code_are_refused() -> None:
    first, second = ModuleType("first"), ModuleType("second")
    first.A = NoticeCode("same-code", "a", "b")  # type: ignore[attr-defined]
    second.B = NoticeCode("same-code", "c", "d")  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="same-code"):
        _collect((first, second))


def test_a_code_is_text_in_reports_and_copies() -> None:
    code = Q16_CONTROL_CHARACTERS
    assert code == "oparl-q16-control-characters"
    assert json.dumps({"code": code}) == '{"code": "oparl-q16-control-characters"}'
    copy = pickle.loads(pickle.dumps(Notice(code, "m")))
    assert type(copy.code) is str and describe(copy.code).control_characters
    with pytest.raises(AttributeError):
        code.partial_list = True


def test_describe_answers_for_every_kind_of_code() -> None:
    assert describe("pagination-loop") is PAGINATION_LOOP  # text from a stored report or a plugin
    plugin = NoticeCode("zms-broken-links", "links", "list ends", partial_list=True)
    assert describe(plugin) is plugin
    unknown = describe("zms-something")
    assert unknown == "zms-something" and not unknown.partial_list and not unknown.control_characters


# --- the quirk catalogue --------------------------------------------------------------------


def test_quirk_rows_are_numbered_once_and_name_registered_codes() -> None:
    numbers = [q.number for q in QUIRKS]
    assert numbers == list(range(1, len(QUIRKS) + 1))
    for quirk in QUIRKS:
        assert quirk.title and quirk.vendors and quirk.handling, quirk.number
        assert all(code in CODES for code in quirk.codes), quirk.number
        assert quirk.tests or not quirk.handled, f"quirk {quirk.number} is handled but names no test"
        assert all(quirk_of(code) is quirk for code in quirk.codes), quirk.number
        numbered = [c for c in quirk.codes if c.startswith("oparl-q")]
        assert all(c.startswith(f"oparl-q{quirk.number}-") for c in numbered), quirk.number


def _test_functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text("utf-8"))
    out: dict[str, ast.FunctionDef] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    out[f"{node.name}::{item.name}"] = item
    return out


@pytest.mark.parametrize("quirk", QUIRKS, ids=lambda q: f"q{q.number}")
def test_the_tests_a_quirk_names_exist_and_assert_its_codes(quirk) -> None:  # type: ignore[no-untyped-def]
    sources: list[str] = []
    for node_id in quirk.tests:
        file, _, name = node_id.partition("::")
        path = ROOT / file
        assert path.is_file(), f"quirk {quirk.number}: {file} does not exist"
        functions = _test_functions(path)
        assert name in functions, f"quirk {quirk.number}: no test {name} in {file}"
        sources.append(ast.unparse(functions[name]))
        sources.append(path.read_text("utf-8") if functions[name].decorator_list else "")  # parametrized
    text = "\n".join(sources)
    constants = {str(v): k for m in _code_modules() for k, v in vars(m).items() if isinstance(v, NoticeCode)}
    for code in quirk.codes:
        assert code in text or constants[code] in text, f"quirk {quirk.number}: no test of {quirk.tests} checks {code}"


def _code_modules() -> list[ModuleType]:
    from ris_connector.notices.registry import MODULES

    return list(MODULES)


def test_docs_page_is_generated_from_the_registry(tmp_path: Path) -> None:
    """docs/quirks.md is what ``ris-connector quirks --markdown`` renders; a stale copy is found."""
    page = ROOT / "docs" / "quirks.md"
    assert page.read_text("utf-8") == render_page(), "run: ris-connector quirks --markdown --out docs/quirks.md"
    assert main(["quirks", "--markdown", "--out", str(page), "--check"]) == 0
    stale = tmp_path / "quirks.md"
    stale.write_text(render_page().replace("| 16 |", "| 61 |"), "utf-8")
    assert main(["quirks", "--markdown", "--out", str(stale), "--check"]) == 3
    assert main(["quirks", "--markdown", "--out", str(stale)]) == 0
    assert stale.read_text("utf-8") == render_page()
    for quirk in QUIRKS:
        assert f"| {quirk.number} | {quirk.title} |" in page.read_text("utf-8")


def test_quirks_command_explains_codes_from_a_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quirks", "pagination-loop", "oparl-q18-mimetype"]) == 0
    out = capsys.readouterr().out
    assert "no deletes for absence" in out and "quirk 34" in out
    assert "quirk 18" in out and PAGINATION_LOOP.handling in out
    assert main(["quirks", "no-such-code"]) == 2
    assert "no notice code" in capsys.readouterr().err


# --- the engine acts on what a code means ---------------------------------------------------

LINKS_BROKEN = NoticeCode("demo-links-broken", "links that lead nowhere", "list ends", partial_list=True)
CONTROL_REMOVED = NoticeCode("demo-control", "control characters", "removed", control_characters=True)


class _Places:
    """A plugin-like adapter: ten Locations; in round 2 one is gone and a notice says why, maybe."""

    def __init__(self, notice: Notice | None, drop: bool) -> None:
        self.notice, self.drop = notice, drop

    def adapter(self) -> type[Adapter]:
        outer = self

        class Places(Adapter):
            name = "places"

            def fetch(self) -> Iterator[Item]:
                for n in range(9 if outer.drop else 10):
                    yield Location(id=f"urn:ris:places:Location:{n}", description=f"Raum {n}")
                if outer.notice is not None:
                    yield outer.notice
                yield Checkpoint("all", {})

        return Places


def _two_runs(tmp_path: Path, notice: Notice | None) -> tuple[RunReport, int]:
    config = source_from_mapping({"name": "places", "adapter": "places"})
    with SQLiteStore(tmp_path / "ris.db") as store:
        SyncEngine(config, store, adapter_cls=_Places(None, drop=False).adapter()).run(full=True)
        report = SyncEngine(config, store, adapter_cls=_Places(notice, drop=True).adapter()).run(full=True)
        return report, sum(1 for _ in store.iter_rows(type_name="Location", source="places"))


@pytest.mark.parametrize(
    "code",
    [LINKS_BROKEN, "pagination-loop"],
    ids=["a plugin's own code that says a list was cut", "a registered code given as text"],
)
def test_a_code_that_says_a_list_was_cut_stops_deletes_for_absence(tmp_path: Path, code: str) -> None:
    report, live = _two_runs(tmp_path, Notice(code, "links.next leads nowhere"))
    assert live == 10 and report.total("deleted") == 0
    assert "no-absence-deletes" in report.warnings


def test_other_codes_leave_deletes_for_absence_alone(tmp_path: Path) -> None:
    """Whatever a code is called (here one that starts like the old pagination codes)."""
    report, live = _two_runs(tmp_path, Notice("pagination-in-the-name-only", "nothing was cut"))
    assert live == 9 and report.total("deleted") == 1


def test_a_code_that_removes_control_characters_is_counted(tmp_path: Path) -> None:
    report, _ = _two_runs(tmp_path, Notice(CONTROL_REMOVED, "3 control characters removed", 3))
    assert report.control_characters_removed == 3
    assert report.to_json_dict()["warnings"] == [
        {"code": "demo-control", "count": 3, "example": "3 control characters removed"}
    ]
