"""The examples of the documentation run as written: README.md and every page under docs/.

A fenced block is checked when an HTML comment right before it says how (invisible on the site):

* ``<!-- test: run -->``: a ``python`` block is executed; a ``sh`` block runs line by line in
  bash, each command with exit status 0. The blocks of one page run in order, in one fresh
  directory, sharing one namespace, as a reader would paste them.
* ``<!-- test: file NAME -->``: the block is written to ``NAME`` in that directory first.
* ``<!-- test: config -->``: a configuration file, read with ``load_config`` and each source's
  adapter options validated (nothing is fetched).
* ``<!-- test: mapping -->``: a mapping file, read with the mapping parser.

Two things are swapped so that the examples run here, and only these: the sample council's
address ``http://127.0.0.1:8765`` (what ``python -m ris_connector.sample`` serves) becomes the
address of the sample server this module starts, and ``ris-connector demo`` gets ``--port 0``.

The adapter example of "Write an adapter" is ``docs/examples/`` (the adapter, its kit test and
the items its local server serves): exactly what ``ris-connector new-adapter events`` writes, and
it passes the kit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

from ris_connector.adapters.registry import load_adapter
from ris_connector.config import load_config
from ris_connector.mapping.model import parse_mapping
from ris_connector.sample.server import OParlServer
from ris_connector.scaffold import create_adapter_package
from ris_connector.testing import verify_adapter

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
EXAMPLES = ROOT / "docs" / "examples"
EXAMPLE = EXAMPLES / "events_adapter.py"
EXAMPLE_TEST = EXAMPLES / "test_events_kit.py"
SAMPLE = "http://127.0.0.1:8765"
BLOCK = re.compile(
    r"^<!-- test: (?P<how>[^>]*?) -->[ \t]*\n(?:[ \t]*\n)*"
    r"(?P<fence>```+)(?P<lang>[\w-]*)[^\n]*\n(?P<code>.*?)\n(?P=fence)[ \t]*$",
    re.S | re.M,
)


@dataclass(frozen=True)
class Block:
    """One marked block of a page."""

    page: str
    line: int
    how: str
    lang: str
    code: str


def blocks(page: Path) -> list[Block]:
    """The marked blocks of ``page``, in order."""
    text = page.read_text(encoding="utf-8")
    found = []
    for m in BLOCK.finditer(text):
        line = text.count("\n", 0, m.start("code")) + 1
        found.append(Block(str(page.relative_to(ROOT)), line, m["how"].strip(), m["lang"], m["code"]))
    return found


MARKED = {str(p.relative_to(ROOT)): blocks(p) for p in PAGES}
RUNNABLE = sorted(name for name, found in MARKED.items() if found)


@pytest.fixture(scope="module")
def sample() -> Iterator[str]:
    """The sample council, as ``python -m ris_connector.sample`` serves it, on a free port."""
    with OParlServer(scale=0.02) as server:
        yield f"http://127.0.0.1:{server.port}"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for name in ("RIS_DB", "RIS_CONFIG"):
        env.pop(name, None)
    return env


def _commands(code: str) -> list[str]:
    """Shell lines of a block: continuation lines joined, comments and blank lines left out."""
    commands, current = [], ""
    for line in code.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line[:-1] + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            commands.append(current)
            current = ""
    return commands


def _swap(code: str, base: str) -> str:
    code = code.replace(SAMPLE, base)
    return re.sub(r"^ris-connector demo$", "ris-connector demo --port 0", code, flags=re.M)


def _env_names(table: object) -> list[str]:
    """Values of ``*_env`` keys anywhere in a parsed TOML table (the variables a config names)."""
    if isinstance(table, dict):
        names = [v for k, v in table.items() if k.endswith("_env") and isinstance(v, str)]
        return names + [n for v in table.values() for n in _env_names(v)]
    if isinstance(table, list):
        return [n for v in table for n in _env_names(v)]
    return []


def _check_config(block: Block, workdir: Path) -> None:
    path = workdir / "checked-config.toml"
    path.write_text(block.code, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:  # the secrets a config names come from the environment
        for name in _env_names(tomllib.loads(block.code)):
            mp.setenv(name, "example-secret")
        config = load_config(path)
        for source in config.sources:
            load_adapter(source.adapter).parse_options(source.options)


def _run(block: Block, workdir: Path, namespace: dict[str, object], base: str) -> str:
    """Run one block; return what it printed. Fails the test with the block's place on error."""
    where = f"{block.page}:{block.line}"
    code = _swap(block.code, base)
    if block.how.startswith("file "):
        target = workdir / block.how.split(None, 1)[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code + "\n", encoding="utf-8")
        return ""
    if block.how == "config":
        _check_config(block, workdir)
        return ""
    if block.how == "mapping":
        parse_mapping(tomllib.loads(block.code), where)
        return ""
    assert block.how == "run", f"{where}: unknown marker {block.how!r}"
    if block.lang == "python":
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, where, "exec"), namespace)  # the page's own example code
        return out.getvalue()
    assert block.lang in ("sh", "bash", "console"), f"{where}: cannot run a {block.lang!r} block"
    printed = []
    for command in _commands(code):
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=workdir,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{where}: `{command}` exited {done.returncode}\n{done.stderr[-3000:]}"
        printed.append(done.stdout)
    return "".join(printed)


@pytest.mark.parametrize("page", RUNNABLE)
def test_the_examples_of_a_page_run(page: str, sample: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "docs_example_" + re.sub(r"\W", "_", page)}
    outputs = [_run(block, tmp_path, namespace, sample) for block in MARKED[page]]
    ran = [b for b, out in zip(MARKED[page], outputs, strict=True) if b.how == "run"]
    assert all(out.strip() for b, out in zip(MARKED[page], outputs, strict=True) if b.how == "run"), (
        f"{page}: a runnable example printed nothing"
    )
    assert ran or any(b.how in ("config", "mapping") for b in MARKED[page])


def test_the_pages_that_teach_have_running_examples() -> None:
    """The markers are not lost when a page is edited: these pages keep their runnable examples."""
    expected = {
        "README.md": 2,
        "docs/getting-started.md": 4,
        "docs/outputs/python-api.md": 3,
        "docs/outputs/change-feed.md": 2,
        "docs/outputs/reminders.md": 1,
        "docs/outputs/export.md": 1,
        "docs/operations/monitoring.md": 1,
        "docs/write-an-adapter.md": 1,
    }
    counts = {page: sum(b.how == "run" for b in MARKED.get(page, [])) for page in expected}
    assert all(counts[page] >= n for page, n in expected.items()), counts


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    """The unit files of docs/operations/systemd/ pass ``systemd-analyze verify`` without a warning."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    units = sorted((ROOT / "docs" / "operations" / "systemd").glob("ris-connector-*"))
    assert {u.suffix for u in units} == {".service", ".timer"} and len(units) == 6
    binary = str(Path(sys.executable).parent / "ris-connector")
    for unit in units:  # the venv of the page (/opt/ris-connector) is this one here
        text = unit.read_text(encoding="utf-8").replace("/opt/ris-connector/bin/ris-connector", binary)
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", *[f"./{u.name}" for u in units]], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_the_docs_show_the_tested_adapter_example() -> None:
    page = (ROOT / "docs" / "write-an-adapter.md").read_text(encoding="utf-8")
    shown = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    assert EXAMPLE.read_text(encoding="utf-8") in shown
    assert EXAMPLE_TEST.read_text(encoding="utf-8") in shown


def test_new_adapter_writes_the_documented_example(tmp_path: Path) -> None:
    """What the page shows is what ``ris-connector new-adapter events`` writes: an adapter of at
    most 25 lines and a test of at most 20, on the SDK and the shared test servers."""
    pkg = create_adapter_package("events", tmp_path)
    example, test = EXAMPLE.read_text(encoding="utf-8"), EXAMPLE_TEST.read_text(encoding="utf-8")
    assert (pkg / "ris_events" / "adapter.py").read_text(encoding="utf-8") == example
    assert (pkg / "tests" / "test_events_kit.py").read_text(encoding="utf-8") == test
    items = json.loads((pkg / "tests" / "events.json").read_text(encoding="utf-8"))
    assert items == json.loads((EXAMPLES / "events.json").read_text(encoding="utf-8"))
    assert len(example.splitlines()) <= 25 and len(test.splitlines()) <= 20


def _load(path: Path, name: str) -> Any:
    spec_file = importlib.util.spec_from_file_location(name, path)
    assert spec_file is not None and spec_file.loader is not None
    module = importlib.util.module_from_spec(spec_file)
    spec_file.loader.exec_module(module)
    return module


def test_the_example_adapter_passes_the_kit(tmp_path: Path) -> None:
    adapter = _load(EXAMPLE, "events_adapter_example").EventsAdapter
    spec = _load(EXAMPLE_TEST, "events_kit_example").TestEventsKit.kit_spec()
    result = verify_adapter(dataclasses.replace(spec, adapter_class=adapter, pyproject=None), tmp_path / "kit")
    # not installed, so only the entry-point check may fail, and it says why
    assert set(result.failed) <= {"entry-point", "import-offline"}, result.failed
    assert all("entry point 'events'" in p for p in result.problems["entry-point"])
    assert len(result.scenario.runs["first full run"].records) == 4
    assert len(result.problems) == 12 + 5  # every check ran, the five faults included
