"""The kit's checks: each takes the scenario and returns problems, one line per record or run.

An empty list is a pass. Every problem names the record (type and id) or the run and says
what is wrong, so that an adapter author knows where to look.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from datetime import datetime, timezone, tzinfo
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ris_connector.adapters.base import Adapter
from ris_connector.adapters.registry import GROUP
from ris_connector.errors import RisError
from ris_connector.models import RECORD_TYPES, Record
from ris_connector.normalize.times import get_timezone, localize
from ris_connector.testing.runner import RunResult, Scenario

Check = Callable[[Scenario], list[str]]

_STATUS_WORDS = {
    "abgesagt",
    "entfällt",
    "entfaellt",
    "verschoben",
    "cancelled",
    "canceled",
    "postponed",
    "confirmed",
    "scheduled",
    "held",
    "storniert",
    "bestätigt",
    "bestaetigt",
}
_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_ISO = re.compile(
    r"(?<!\d)(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?(?![\d:])"
)


def _what(rec: Record) -> str:
    return f"{rec.type} {rec.id}"


def _first(s: Scenario) -> RunResult:
    return s.runs["first full run"]


# --- loading ---------------------------------------------------------------------------------


def check_entry_point(s: Scenario) -> list[str]:
    """The adapter is registered under ``ris_connector.adapters`` and loads to the class under test."""
    name, cls = s.spec.adapter, s.adapter_class
    target = f"{cls.__module__}:{cls.__qualname__}"
    problems: list[str] = []
    if cls.name != name:
        problems.append(f"{target}.name is {cls.name!r}, but it is registered as {name!r}")
    installed = [ep for ep in entry_points(group=GROUP) if ep.name == name]
    if installed:
        try:
            loaded = installed[0].load()
        except Exception as exc:  # a broken plugin is exactly what this check reports
            return [*problems, f"entry point {name!r} = {installed[0].value!r} fails to load: {exc}"]
        if loaded is not cls:
            problems.append(f"entry point {name!r} = {installed[0].value!r} does not name {target}")
        return problems
    if s.spec.pyproject is None:
        return [*problems, f"no entry point {name!r} in group {GROUP!r}: is the package installed (pip install -e .)?"]
    return problems + _declared_entry_point(s.spec.pyproject, name, cls)


def _declared_entry_point(pyproject: Path, name: str, cls: type[Adapter]) -> list[str]:
    try:
        loaded = declared_class(pyproject, name)
    except (OSError, ValueError, ImportError, AttributeError) as exc:
        return [str(exc)]
    if loaded is not cls:
        value = _declared(pyproject).get(name, "")
        return [f"{pyproject}: entry point {name!r} = {value!r} is not {cls.__module__}:{cls.__qualname__}"]
    return []


def _declared(pyproject: Path) -> dict[str, Any]:
    """The ``ris_connector.adapters`` entry points a pyproject.toml declares."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read {pyproject}: {exc}") from None
    declared: dict[str, Any] = data.get("project", {}).get("entry-points", {}).get(GROUP, {})
    return declared


def declared_class(pyproject: Path, name: str) -> Any:
    """The object the entry point ``name`` in ``pyproject`` names, imported (its package must be
    importable: installed, or on ``sys.path`` as the generated package's pytest settings put it)."""
    declared = _declared(pyproject)
    if name not in declared:
        raise ValueError(f'{pyproject} declares no entry point {name!r} under [project.entry-points."{GROUP}"]')
    value = str(declared[name]).replace(" ", "")
    module, _, attr = value.partition(":")
    try:
        loaded: Any = importlib.import_module(module)
        for part in attr.split("."):
            loaded = getattr(loaded, part)
    except (ImportError, AttributeError) as exc:
        raise ImportError(f"{pyproject}: entry point {name!r} = {value!r} does not load: {exc}") from None
    return loaded


_GUARD = """
import importlib, socket, sys
def refuse(*args, **kwargs):
    raise RuntimeError("network I/O while importing: %r" % (args[:2],))
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
importlib.import_module(sys.argv[1])
"""


def check_import_offline(s: Scenario) -> list[str]:
    """Importing the adapter's module in a fresh interpreter opens no connection and resolves no name."""
    module = s.adapter_class.__module__
    mod = sys.modules.get(module)
    env = dict(os.environ)
    if mod is not None and getattr(mod, "__file__", None):
        root = Path(str(mod.__file__)).resolve().parents[module.count(".")]
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run(
        [sys.executable, "-c", _GUARD, module], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
        return [f"importing {module} failed or touched the network: {tail[0]}"]
    return []


# --- runs --------------------------------------------------------------------------------------


def check_runs_complete(s: Scenario) -> list[str]:
    """The three runs over unchanged data complete without errors or crashes."""
    problems = []
    for label, run in s.runs.items():
        if run.crash:
            problems.append(f"{label} crashed: {run.crash}")
        elif run.report is None or not run.report.complete:  # degraded: read whole, counted apart
            errors = "; ".join(run.report.errors) if run.report else "no report"
            problems.append(f"{label} did not complete: {errors}")
    if not problems and not _first(s).records:
        problems.append("the first full run yielded no records at all")
    return problems


def check_records_valid(s: Scenario) -> list[str]:
    """Every record re-validates as its pydantic model and against the type's JSON Schema."""
    import json

    import jsonschema

    from ris_connector.schema import render_schemas

    schemas = {name[: -len(".json")]: json.loads(text) for name, text in render_schemas().items()}
    problems: list[str] = []
    for rec in _unique(_all_records(s)):
        cls = RECORD_TYPES.get(rec.type)
        if cls is None or type(rec) is not cls:
            problems.append(f"{_what(rec)}: {type(rec).__name__} is not one of {', '.join(RECORD_TYPES)}")
            continue
        data = rec.to_json_dict()
        try:
            cls.model_validate(data)
        except ValueError as exc:
            problems.append(f"{_what(rec)}: does not validate as {cls.__name__}: {exc}")
            continue
        errors = sorted(jsonschema.Draft202012Validator(schemas[rec.type]).iter_errors(data), key=str)
        for err in errors[:3]:
            where = "/".join(str(p) for p in err.absolute_path) or "(record)"
            problems.append(f"{_what(rec)}: schemas/{rec.type}.json: {where}: {err.message}")
    return problems


def check_ids_unique_stable(s: Scenario) -> list[str]:
    """One id is one object (one type, one content per run) and the same ids come back in the second run."""
    problems: list[str] = []
    for label in ("first full run", "second full run"):
        seen: dict[str, Record] = {}
        for rec in s.runs[label].records:
            other = seen.setdefault(rec.id, rec)
            if other is rec:
                continue
            if other.type != rec.type:
                problems.append(f"{label}: id {rec.id} names both a {other.type} and a {rec.type}")
            elif other.content_hash() != rec.content_hash():
                problems.append(f"{label}: {_what(rec)} was yielded twice with different content")
    first = {r.id for r in s.runs["first full run"].records}
    second = {r.id for r in s.runs["second full run"].records}
    for rid in sorted(first - second)[:10]:
        problems.append(f"id {rid} of the first full run is gone in the second run over the same data (unstable id)")
    for rid in sorted(second - first)[:10]:
        problems.append(f"id {rid} is new in the second full run over the same data (unstable id)")
    return problems


def _id_tokens(rec: Record, source: str) -> set[str]:
    text = unquote(rec.id).lower()
    prefix = f"urn:ris:{source.lower()}:{rec.type.lower()}:"
    if text.startswith(prefix):
        text = text[len(prefix) :]
    elif "://" in text:
        parts = urlsplit(text)
        text = f"{parts.path}?{parts.query}"
    return set(_TOKEN.findall(text))


def _keyed_by_name(rec: Record) -> bool:
    """The source's own key of the object is its name (a calendar's LOCATION text, a committee
    only named in a listing): an id built from that key cannot avoid the name's words."""
    native = rec.provenance.original_id if rec.provenance else None
    if not native or not rec.name:
        return False
    return " ".join(native.split()).casefold() == " ".join(rec.name.split()).casefold()


def check_ids_no_text(s: Scenario) -> list[str]:
    """Ids hold no whitespace, no words of the record's name (unless the source keys the object
    by its name) and no status text."""
    problems: list[str] = []
    source = str(s.runs["first full run"].report.source if s.runs["first full run"].report else "kit")
    for rec in _unique(_first(s).records):
        if any(ch.isspace() for ch in rec.id):
            problems.append(f"{_what(rec)}: id contains whitespace")
            continue
        if rec.type == "System":
            continue  # its id is the URL the source is configured with, not built by the adapter
        tokens = _id_tokens(rec, source)
        words = {w.lower() for w in _WORD.findall(rec.name or "")}
        clash = sorted(tokens & words) if not _keyed_by_name(rec) else []
        if clash:
            problems.append(f"{_what(rec)}: id contains words of the title {rec.name!r}: {', '.join(clash)}")
        status = getattr(rec, "status", None)
        status_words = set(_STATUS_WORDS)
        if status is not None:
            status_words.add(str(getattr(status, "value", status)).lower())
        stat = sorted(tokens & status_words - {"unknown"})
        if stat:
            problems.append(f"{_what(rec)}: id contains status text: {', '.join(stat)}")
    return problems


# --- time ------------------------------------------------------------------------------------


def _source_times(responses: Iterable[Any]) -> tuple[set[datetime], set[datetime]]:
    """Naive wall times and aware instants written in the response bodies."""
    naive: set[datetime] = set()
    aware: set[datetime] = set()
    for resp in responses:
        for m in _ISO.finditer(resp.text):
            y, mo, d, h, mi, sec, zone = m.groups()
            try:
                wall = datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec or 0))
            except ValueError:
                continue
            if zone is None:
                naive.add(wall)
            else:
                aware.add(datetime.fromisoformat(m.group(0).replace(" ", "T").replace("Z", "+00:00")))
    return naive, aware


def _datetimes(rec: Record) -> Iterable[tuple[str, datetime]]:
    for name in type(rec).model_fields:
        if name in ("provenance", "raw"):
            continue
        value = getattr(rec, name)
        if isinstance(value, datetime):
            yield name, value


def check_datetimes(s: Scenario) -> list[str]:
    """Datetimes are aware, ``end >= start``, and naive source times are read in the source's timezone."""
    tz: tzinfo = get_timezone(s.spec.timezone)
    naive, aware = _source_times(_first(s).responses)
    problems: list[str] = []
    for rec in _unique(_first(s).records):
        for name, value in _datetimes(rec):
            if value.tzinfo is None or value.utcoffset() is None:
                problems.append(f"{_what(rec)}: {name} {value.isoformat()} has no timezone")
                continue
            local = value.astimezone(tz).replace(tzinfo=None)
            if local in naive or value in aware:
                continue
            misread = value.replace(tzinfo=None)
            if misread not in naive:
                misread = value.astimezone(timezone.utc).replace(tzinfo=None)
            if misread in naive:
                expected = localize(misread, tz).isoformat()
                problems.append(
                    f"{_what(rec)}: {name} {value.isoformat()} reads the source's local time "
                    f"{misread.isoformat()} in the wrong zone; the source's timezone is "
                    f"{s.spec.timezone} (expected {expected})"
                )
        start, end = getattr(rec, "start", None), getattr(rec, "end", None)
        if isinstance(start, datetime) and isinstance(end, datetime) and end < start:
            problems.append(f"{_what(rec)}: end {end.isoformat()} is before start {start.isoformat()}")
    return problems


# --- references, incremental, state ----------------------------------------------------------------


def check_references(s: Scenario) -> list[str]:
    """Every reference of the first full run resolves to a stored record or is reported missing."""
    reported = s.missing_ids | {m.id for m in _first(s).missing}
    problems: list[str] = []
    for rec in _unique(_first(s).records):
        for fname, target in rec.references():
            if target not in s.stored_ids and target not in reported:
                problems.append(f"{_what(rec)}: {fname} -> {target} neither resolves nor is reported missing")
    return problems[:50]


def check_incremental_subset(s: Scenario) -> list[str]:
    """An incremental run over unchanged data yields a subset of the full run's ids and changes nothing.

    An adapter that says every run is full (a calendar feed, an export without a date window)
    has no incremental runs: its third run is full and must yield exactly the full run's ids.
    """
    full = {r.id for r in _first(s).records}
    inc = s.runs["incremental run"]
    problems = [
        f"incremental run yielded {r.type} {r.id}, which the full run over the same data did not"
        for r in _unique(inc.records)
        if r.id not in full
    ][:20]
    if inc.report is None or not inc.report.full:
        return problems
    if not s.always_full:
        problems.append("the incremental run ran as a full run")
        return problems
    yielded = {r.id for r in inc.records}
    problems += [
        f"the third run (full: the adapter says every run is full) lacks {rid}, which the first full run yielded"
        for rid in sorted(full - yielded)[:20]
    ]
    return problems


def _instants(state: Any, path: str = "") -> Iterable[tuple[str, datetime]]:
    if isinstance(state, dict):
        for key, value in state.items():
            yield from _instants(value, f"{path}.{key}" if path else str(key))
    elif isinstance(state, str):
        try:
            when = datetime.fromisoformat(state.replace("Z", "+00:00"))
        except ValueError:
            return
        if when.tzinfo is not None:
            yield path, when


def check_watermarks(s: Scenario) -> list[str]:
    """Checkpoint states only move forward from run to run, and the adapter checkpoints at all."""
    problems: list[str] = []
    if not _first(s).checkpoints:
        problems.append("the first full run yielded no Checkpoint: incremental runs cannot resume")
    previous: dict[tuple[str, str], datetime] = {}
    for label in ("first full run", "second full run", "incremental run"):
        run = s.runs[label]
        for cp in run.checkpoints:
            for key, when in _instants(dict(cp.state)):
                before = previous.get((cp.stream, key))
                if before is not None and when < before:
                    problems.append(
                        f"{label}: stream {cp.stream!r} state {key} moved backwards: "
                        f"{before.isoformat()} -> {when.isoformat()}"
                    )
                previous[(cp.stream, key)] = max(when, before) if before else when
    return problems


def check_second_run_unchanged(s: Scenario) -> list[str]:
    """A second run over the same data creates, updates and deletes nothing."""
    problems: list[str] = []
    for label in ("second full run", "incremental run"):
        report = s.runs[label].report
        if report is None:
            continue
        for kind in ("created", "updated", "deleted"):
            for type_name, counts in report.counts.items():
                if counts.get(kind):
                    problems.append(f"{label} over unchanged data: {counts[kind]} {type_name} {kind}")
    return problems


# --- faults ----------------------------------------------------------------------------------------


def check_no_deletes_after_failed_run(s: Scenario) -> list[str]:
    """A run that fails midway deletes nothing (no absence deletes)."""
    problems = []
    for kind, run in s.faults.items():
        if kind == "(none)" or run.report is None:
            continue
        if not run.report.complete and (run.report.total("deleted") or run.live_after < run.live_before):
            problems.append(f"fault {kind}: the incomplete run deleted {run.live_before - run.live_after} records")
    return problems


def check_fault(kind: str) -> Check:
    """The injected fault ends in a classified error, a quarantined record or a missing reference."""

    def check(s: Scenario) -> list[str]:
        clean = s.faults.get("(none)")
        if clean is not None and (clean.crash or clean.report is None or not clean.report.complete):
            why = clean.crash or "; ".join(clean.report.errors if clean.report else [])
            return [f"the clean run through the kit's proxy did not complete: {why}"]
        run = s.faults[kind]
        where = f"fault {kind} at GET {run.fault_request}"
        if run.fault_request is None:
            return [f"fault {kind}: the run made too few requests to inject it"]
        if run.crash:
            return [f"{where}: the adapter crashed instead of raising a ris_connector.errors class: {run.crash}"]
        report = run.report
        assert report is not None
        if report.status == "failed":
            return [f"{where}: the run failed with a non-source error: {'; '.join(report.errors)}"]
        if report.status == "incomplete" and report.errors:
            return []
        if report.total("quarantined") or report.missing_references > (
            clean.report.missing_references if clean and clean.report else 0
        ):
            return []
        return [f"{where}: the run completed as if nothing happened (no error, no quarantine, no missing reference)"]

    check.__doc__ = f"Fault {kind} ends in a classified error, never a crash."
    return check


def _all_records(s: Scenario) -> list[Record]:
    return [r for run in s.runs.values() for r in run.records]


def _unique(records: Iterable[Record]) -> list[Record]:
    out: dict[tuple[str, str], Record] = {}
    for rec in records:
        out.setdefault((rec.id, rec.content_hash()), rec)
    return list(out.values())


def checks_for(s: Scenario) -> dict[str, Check]:
    """Check name -> check, in the order the kit reports them."""
    table: dict[str, Check] = {
        "entry-point": check_entry_point,
        "import-offline": check_import_offline,
        "runs-complete": check_runs_complete,
        "records-valid": check_records_valid,
        "ids-unique-stable": check_ids_unique_stable,
        "ids-no-text": check_ids_no_text,
        "datetimes": check_datetimes,
        "references": check_references,
        "incremental-subset": check_incremental_subset,
        "watermarks-forward": check_watermarks,
        "second-run-unchanged": check_second_run_unchanged,
        "no-deletes-after-failed-run": check_no_deletes_after_failed_run,
    }
    for kind in s.spec.faults:
        table[f"fault-{kind}"] = check_fault(kind)
    return table


def run_checks(s: Scenario) -> dict[str, list[str]]:
    """Every check's problems; a check that raises reports that as its problem."""
    out: dict[str, list[str]] = {}
    for name, check in checks_for(s).items():
        try:
            out[name] = check(s)
        except (RisError, ValueError, KeyError, TypeError, AttributeError) as exc:
            out[name] = [f"the check itself failed: {type(exc).__name__}: {exc}"]
    return out


def adapter_class_for(name: str, explicit: type[Adapter] | None, pyproject: Path | None = None) -> type[Adapter]:
    """The class under test: ``explicit``, else the one the entry point names (installed, or
    declared in ``pyproject`` for a package tested before it is installed)."""
    if explicit is not None:
        return explicit
    from ris_connector.adapters.registry import load_adapter

    if pyproject is not None and not any(ep.name == name for ep in entry_points(group=GROUP)):
        loaded = declared_class(pyproject, name)
        if not (isinstance(loaded, type) and issubclass(loaded, Adapter)):
            raise TypeError(f"{pyproject}: entry point {name!r} is not an Adapter class")
        return loaded
    return load_adapter(name)
