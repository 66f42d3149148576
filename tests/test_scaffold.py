"""``ris-connector new-adapter``: the package it makes passes the kit, and breaking it fails the kit.

The generated package is tested in-process (its directory on ``sys.path``, the class loaded
directly, the entry point read from its pyproject.toml) so that the venv stays untouched;
``.ci/setup.d/50-adapters.sh`` pip-installs the packages under adapters/ for real.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ris_connector.cli import main
from ris_connector.errors import ConfigError
from ris_connector.scaffold import create_adapter_package
from ris_connector.testing import KitResult, verify_adapter


@pytest.fixture
def clean_imports() -> Iterator[None]:
    """Generated packages leave neither sys.path entries nor modules behind."""
    path = list(sys.path)
    yield
    sys.path[:] = path
    for name in [m for m in sys.modules if m.startswith(("ris_broken", "ris_scaffold", "gen_"))]:
        del sys.modules[name]


def _kit(
    pkg: Path, name: str, tmp_path: Path, *, faults: bool = False, cassette: Path | None = None, record: bool = False
) -> KitResult:
    """Run the kit on the generated package the way its own test module configures it
    (with ``cassette``: replaying it, or recording it with ``record``)."""
    sys.path.insert(0, str(pkg))
    cls = importlib.import_module(f"ris_{name}.adapter").__dict__[f"{name.capitalize()}Adapter"]
    spec_file = importlib.util.spec_from_file_location(f"gen_{name}_test", pkg / "tests" / f"test_{name}_kit.py")
    assert spec_file is not None and spec_file.loader is not None
    module = importlib.util.module_from_spec(spec_file)
    spec_file.loader.exec_module(module)
    spec = getattr(module, f"Test{name.capitalize()}Kit").kit_spec()
    spec = dataclasses.replace(spec, adapter_class=cls, pyproject=pkg / "pyproject.toml", cassette=cassette)
    if not faults:
        spec = dataclasses.replace(spec, faults=())
    return verify_adapter(spec, tmp_path / "kit", record=record)


def _break(pkg: Path, name: str, old: str, new: str) -> None:
    path = pkg / f"ris_{name}" / "adapter.py"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"template changed: {old!r} not found"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_new_adapter_command_creates_a_package_that_passes_the_kit(
    tmp_path: Path, clean_imports: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new-adapter", "scaffoldok", "--dir", str(tmp_path / "adapters")]) == 0
    pkg = tmp_path / "adapters" / "scaffoldok"
    assert (pkg / "pyproject.toml").is_file() and (pkg / "README.md").is_file()
    assert 'scaffoldok = "ris_scaffoldok.adapter:ScaffoldokAdapter"' in (pkg / "pyproject.toml").read_text()
    assert (pkg / "tests" / "scaffoldok.json").is_file()  # the items its local copy of the source serves
    result = _kit(pkg, "scaffoldok", tmp_path, faults=True)
    assert result.failed == {}
    assert len(result.problems) == 12 + 5
    records = result.scenario.runs["first full run"].records
    assert len(records) == 4  # the fifth sample item is a tombstone
    # a second call refuses to overwrite
    assert main(["new-adapter", "scaffoldok", "--dir", str(tmp_path / "adapters")]) == 2
    assert "exists" in capsys.readouterr().err


def test_kit_fails_when_ids_contain_the_title(tmp_path: Path, clean_imports: None) -> None:
    pkg = create_adapter_package("brokenids", tmp_path)
    _break(pkg, "brokenids", "id=self.id_of(item),", "id=self.id_of(f\"{item['id']}-{item.get('title', '')}\"),")
    result = _kit(pkg, "brokenids", tmp_path)
    assert set(result.failed) == {"ids-no-text"}, result.failed
    text = "\n".join(result.failed["ids-no-text"])
    assert "Appointment urn:ris:brokenids-test:Appointment:102-Seniorenberatung" in text
    assert "id contains words of the title 'Seniorenberatung': seniorenberatung" in text


def test_kit_fails_when_local_times_are_read_as_utc(tmp_path: Path, clean_imports: None) -> None:
    pkg = create_adapter_package("brokentz", tmp_path)
    _break(
        pkg,
        "brokentz",
        "from ris_connector.adapters.sdk",
        "from ris_connector import normalize\nfrom ris_connector.adapters.sdk",
    )
    _break(
        pkg,
        "brokentz",
        "    def map(",
        '    def time(self, value):\n        return normalize.parse_datetime(value, "UTC")\n\n    def map(',
    )
    result = _kit(pkg, "brokentz", tmp_path)
    assert set(result.failed) == {"datetimes"}, result.failed
    text = "\n".join(result.failed["datetimes"])
    assert (
        "Appointment urn:ris:brokentz-test:Appointment:102: start 2026-02-03T10:00:00+00:00 reads the source's "
        "local time 2026-02-03T10:00:00 in the wrong zone; the source's timezone is Europe/Berlin "
        "(expected 2026-02-03T10:00:00+01:00)"
    ) in text


def test_kit_fails_when_end_is_before_start(tmp_path: Path, clean_imports: None) -> None:
    pkg = create_adapter_package("brokenend", tmp_path)
    _break(
        pkg,
        "brokenend",
        "from ris_connector.adapters.sdk",
        "from datetime import timedelta\n\nfrom ris_connector.adapters.sdk",
    )
    _break(pkg, "brokenend", 'end=self.time(item.get("end"))', 'end=self.time(item["start"]) - timedelta(hours=1)')
    result = _kit(pkg, "brokenend", tmp_path)
    assert "datetimes" in result.failed
    assert any(
        "end 2026-02-03T09:00:00+01:00 is before start 2026-02-03T10:00:00+01:00" in p
        for p in result.failed["datetimes"]
    )


def test_kit_fails_when_the_watermark_moves_backwards(tmp_path: Path, clean_imports: None) -> None:
    pkg = create_adapter_package("brokenwm", tmp_path)
    # The SDK checkpoints; this adapter replaces its watermark by where the run started reading.
    _break(
        pkg,
        "brokenwm",
        "    def map(",
        "    def fetch(self):\n"
        "        since = self.ctx.since(self.stream_name)\n"
        "        for item in super().fetch():\n"
        "            broken = since and isinstance(item, Checkpoint)\n"
        '            yield Checkpoint(item.stream, {"watermark": since.isoformat()}) if broken else item\n\n'
        "    def map(",
    )
    _break(
        pkg,
        "brokenwm",
        "from ris_connector.adapters.sdk",
        "from ris_connector import Checkpoint\nfrom ris_connector.adapters.sdk",
    )
    result = _kit(pkg, "brokenwm", tmp_path)
    assert set(result.failed) == {"watermarks-forward"}, result.failed
    assert result.failed["watermarks-forward"] == [
        "incremental run: stream 'appointments' state watermark moved backwards: "
        "2026-01-15T12:00:00+00:00 -> 2026-01-15T11:00:00+00:00"
    ]


def test_kit_fails_when_the_incremental_run_is_no_subset(tmp_path: Path, clean_imports: None) -> None:
    pkg = create_adapter_package("brokeninc", tmp_path)
    _break(pkg, "brokeninc", "id=self.id_of(item),", "id=self.id_of(item if self.ctx.full else f\"new-{item['id']}\"),")
    _break(pkg, "brokeninc", 'since_param = "modified_since"', 'since_param = "ignored_by_the_server"')
    result = _kit(pkg, "brokeninc", tmp_path)
    assert "incremental-subset" in result.failed, result.failed
    assert (
        "incremental run yielded Appointment urn:ris:brokeninc-test:Appointment:new-101, "
        "which the full run over the same data did not"
    ) in result.failed["incremental-subset"]


def test_kit_fails_when_an_unrecorded_request_is_made(tmp_path: Path, clean_imports: None) -> None:
    pkg = create_adapter_package("brokenrec", tmp_path)
    cassette = tmp_path / "brokenrec.yaml"
    recorded = _kit(pkg, "brokenrec", tmp_path / "record", cassette=cassette, record=True)
    assert recorded.failed == {} and cassette.is_file()
    _break(
        pkg,
        "brokenrec",
        '    since_param = "modified_since"',
        '    since_param = "modified_since"\n    params = {"x": "1"}',
    )
    for name in [m for m in sys.modules if m.startswith("ris_brokenrec")]:
        del sys.modules[name]
    result = _kit(pkg, "brokenrec", tmp_path / "replay", cassette=cassette)
    assert "runs-complete" in result.failed
    assert "Can't play back this request" in result.failed["runs-complete"][0]


def test_adapter_names_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="adapter name 'Bad-Name'"):
        create_adapter_package("Bad-Name", tmp_path)
