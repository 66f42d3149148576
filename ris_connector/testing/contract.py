"""``AdapterContract``: subclass it in a test module and pytest runs every kit check.

::

    from ris_connector.testing import AdapterContract

    class TestEventsAdapter(AdapterContract):
        adapter = "events"                                  # entry-point name
        source = {"url": "{base}/events"}                   # a [[source]] table; {base} = server
        cassette = Path(__file__).parent / "cassettes" / "events.yaml"

        def live_server(self):                              # used by `pytest --ris-record`
            return serve_sample_events()                    # a context manager yielding a base URL

The scenario runs once per class (recording with ``--ris-record``, else replaying the
cassette offline); each check is one test that fails with the records and the problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ris_connector.adapters.base import Adapter
from ris_connector.testing.checks import adapter_class_for, run_checks
from ris_connector.testing.faultproxy import FAULTS
from ris_connector.testing.runner import DEFAULT_START, KitRunner, KitSpec, Scenario


@dataclass
class KitResult:
    """The scenario and each check's problems (an empty list passes)."""

    scenario: Scenario
    problems: dict[str, list[str]]

    @property
    def failed(self) -> dict[str, list[str]]:
        """Only the checks that found problems."""
        return {name: p for name, p in self.problems.items() if p}

    def assert_ok(self, check: str) -> None:
        """Fail with every problem of ``check``, one per line."""
        problems = self.problems[check]
        if problems:
            shown = "\n  ".join(problems[:20])
            more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            pytest.fail(f"{self.scenario.spec.adapter}: {check}:\n  {shown}{more}", pytrace=False)


def verify_adapter(spec: KitSpec, workdir: Path, *, record: bool = False) -> KitResult:
    """Run the kit's scenario and every check; the function behind :class:`AdapterContract`."""
    workdir.mkdir(parents=True, exist_ok=True)
    cls = adapter_class_for(spec.adapter, spec.adapter_class, spec.pyproject)
    scenario = KitRunner(spec, cls, workdir, record=record).run()
    return KitResult(scenario, run_checks(scenario))


class AdapterContract:
    """Base class of an adapter's kit tests. Set the class attributes; pytest does the rest."""

    #: The adapter's entry-point name (``[project.entry-points."ris_connector.adapters"]``).
    adapter: ClassVar[str] = ""
    #: The source table (as in the configuration file); ``{base}`` is replaced by the server's URL.
    source: ClassVar[Mapping[str, Any]] = {}
    #: Recorded exchanges (vcrpy YAML). ``None`` runs live against :meth:`live_server` every time.
    cassette: ClassVar[Path | None] = None
    #: The class itself, for packages tested before they are installed (then set ``pyproject``).
    adapter_class: ClassVar[type[Adapter] | None] = None
    #: The package's pyproject.toml, to check the declared entry point when it is not installed.
    pyproject: ClassVar[Path | None] = None
    #: The source's timezone: naive source times must be read in it.
    timezone: ClassVar[str] = "Europe/Berlin"
    #: The clock of the first run (later runs are one and two hours later).
    start: ClassVar[datetime] = DEFAULT_START
    #: Which faults to inject (keys of ``ris_connector.testing.FAULTS``).
    faults: ClassVar[tuple[str, ...]] = tuple(FAULTS)
    #: Query parameters whose values are secrets: stored as ``SECRET`` in the cassette.
    secret_params: ClassVar[tuple[str, ...]] = ()

    def live_server(self) -> AbstractContextManager[Any]:
        """A context manager yielding the base URL of a live (local) server, or the server itself
        (a :class:`~ris_connector.testing.LocalServer`): the source for live runs and recording."""
        raise NotImplementedError(f"{type(self).__name__} has no live_server(); it cannot record or run live")

    @classmethod
    def kit_spec(cls) -> KitSpec:
        """The contract as a :class:`KitSpec`."""
        return KitSpec(
            adapter=cls.adapter,
            source=cls.source,
            adapter_class=cls.adapter_class,
            cassette=cls.cassette,
            live_server=lambda: cls().live_server(),
            pyproject=cls.pyproject,
            timezone=cls.timezone,
            start=cls.start,
            faults=cls.faults,
            secret_params=cls.secret_params,
        )

    def test_entry_point(self, ris_kit: KitResult) -> None:
        """The entry point names the adapter class."""
        ris_kit.assert_ok("entry-point")

    def test_import_offline(self, ris_kit: KitResult) -> None:
        """Importing the adapter module does no network I/O."""
        ris_kit.assert_ok("import-offline")

    def test_runs_complete(self, ris_kit: KitResult) -> None:
        """Full, second full and incremental runs complete."""
        ris_kit.assert_ok("runs-complete")

    def test_records_valid(self, ris_kit: KitResult) -> None:
        """Every record validates (pydantic model and JSON Schema)."""
        ris_kit.assert_ok("records-valid")

    def test_ids_unique_stable(self, ris_kit: KitResult) -> None:
        """Ids are unique per object and stable across runs."""
        ris_kit.assert_ok("ids-unique-stable")

    def test_ids_no_text(self, ris_kit: KitResult) -> None:
        """Ids hold no titles and no status text."""
        ris_kit.assert_ok("ids-no-text")

    def test_datetimes(self, ris_kit: KitResult) -> None:
        """Datetimes are aware, in the right zone, and end >= start."""
        ris_kit.assert_ok("datetimes")

    def test_references(self, ris_kit: KitResult) -> None:
        """References resolve or are reported missing."""
        ris_kit.assert_ok("references")

    def test_incremental_subset(self, ris_kit: KitResult) -> None:
        """Incremental runs yield a subset of the full run."""
        ris_kit.assert_ok("incremental-subset")

    def test_watermarks_forward(self, ris_kit: KitResult) -> None:
        """Checkpoint state only moves forward."""
        ris_kit.assert_ok("watermarks-forward")

    def test_second_run_unchanged(self, ris_kit: KitResult) -> None:
        """A second run over the same data changes nothing."""
        ris_kit.assert_ok("second-run-unchanged")

    def test_no_deletes_after_failed_run(self, ris_kit: KitResult) -> None:
        """A run that fails midway deletes nothing."""
        ris_kit.assert_ok("no-deletes-after-failed-run")

    @pytest.mark.parametrize("fault", tuple(FAULTS))
    def test_fault_classified(self, ris_kit: KitResult, fault: str) -> None:
        """Injected 429/5xx, timeouts, HTML pages and invalid payloads end in classified errors."""
        if f"fault-{fault}" not in ris_kit.problems:
            pytest.skip(f"fault {fault} not in {type(self).__name__}.faults")
        ris_kit.assert_ok(f"fault-{fault}")
