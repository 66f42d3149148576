"""HTML of the status page: server-rendered, no script, readable on a phone.

Everything that comes from a source (names, ids, warnings, reasons, errors) is hostile: it is
escaped here, in text and in attributes, and never becomes a link target (record ids are
shown as text). Links point only to the page's own paths.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote

from ris_connector.health import HEALTHS, format_age
from ris_connector.outputs.statuspage.model import SourceDetail, SourceView, run_totals
from ris_connector.store import ChangeEvent, RunInfo
from ris_connector.sync.report import COUNT_KINDS

#: Columns of the last run's counts on the overview (``unchanged`` only on a source's page).
CHANGE_KINDS = ("created", "updated", "deleted", "quarantined")
WARNINGS_CAPTION = "Tolerated deviations (notices): code, count, first example"
WARNING_HEADERS = [("Code", False), ("Count", True), ("Example", False)]
QUARANTINE_CAPTION = "Records the last run could not accept, with the reason"
QUARANTINE_HEADERS = [("Type", False), ("Reference", False), ("Reason", False), ("Raw payload", False)]


def esc(value: object) -> str:
    """Text for HTML text and double-quoted attributes."""
    return escape("" if value is None else str(value), quote=True)


class Paths:
    """The page's own URLs under the mount point (``SCRIPT_NAME``)."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")

    @property
    def overview(self) -> str:
        return f"{self.root}/status"

    @property
    def css(self) -> str:
        return f"{self.root}/status/status.css"

    def source(self, name: str) -> str:
        return f"{self.root}/status/source/{quote(name, safe='')}"

    def payload(self, name: str, qid: object) -> str:
        return f"{self.source(name)}/quarantine/{quote(str(qid), safe='')}"


def _badge(health: str) -> str:
    cls = health if health in HEALTHS else "other"
    return f'<span class="health h-{esc(cls)}">{esc(health)}</span>'


def _page(title: str, paths: Paths, body: str, *, now: datetime) -> bytes:
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{esc(title)}</title>
<link rel="stylesheet" href="{esc(paths.css)}">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
{body}
<footer><p>Generated {esc(now.isoformat(timespec="seconds"))} by ris-connector from the store. \
<a href="{esc(paths.overview)}">All sources</a></p></footer>
</body>
</html>
"""
    return html.encode("utf-8")


def _when(iso: str | None, now: datetime) -> str:
    if not iso:
        return '<span class="empty">never</span>'
    try:
        age = (now - datetime.fromisoformat(iso)).total_seconds()
    except (TypeError, ValueError):
        return esc(iso)
    return f'<time datetime="{esc(iso)}">{esc(format_age(age))} ago</time> <span class="muted">({esc(iso)})</span>'


def _table(caption: str, headers: Sequence[tuple[str, bool]], rows: Iterable[Sequence[str]], *, empty: str) -> str:
    """A table whose cells are already HTML; ``headers``: (label, numeric). Cards on phones."""
    body = []
    for row in rows:
        cells = "".join(
            f'<td{" class=num" if numeric else ""} data-label="{esc(label)}"><div>{cell}</div></td>'
            for (label, numeric), cell in zip(headers, row, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    if not body:
        return f'<p class="empty">{esc(empty)}</p>'
    head = "".join(f'<th scope="col"{" class=num" if numeric else ""}>{esc(label)}</th>' for label, numeric in headers)
    return (
        f'<table class="cards"><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _changes_table(changes: Sequence[ChangeEvent], *, with_source: bool, paths: Paths) -> str:
    headers: list[tuple[str, bool]] = [("When", False)]
    if with_source:
        headers.append(("Source", False))
    headers += [("Change", False), ("Type", False), ("Record", False), ("Fields", False)]
    rows = []
    for e in changes:
        row = [esc(e.at)]
        if with_source:
            row.append(f'<a href="{esc(paths.source(e.source))}">{esc(e.source)}</a>')
        row += [esc(e.kind), esc(e.type), f'<span class="id">{esc(e.id)}</span>', esc(", ".join(e.fields[:8]))]
        rows.append(row)
    caption = f"The newest {len(changes)} entries of the change feed, newest first"
    return _table(caption, headers, rows, empty="No changes recorded yet.")


def overview_page(
    views: Sequence[SourceView], changes: Sequence[ChangeEvent], *, paths: Paths, now: datetime, store_missing: str = ""
) -> bytes:
    """``/status``: every source with its health, the age of its last complete run and its counts."""
    tally: dict[str, int] = {}
    for v in views:
        tally[v.health] = tally.get(v.health, 0) + 1
    summary = " ".join(f"<span>{_badge(h)} {n}</span>" for h, n in sorted(tally.items()))
    headers: list[tuple[str, bool]] = [
        ("Source", False),
        ("Health", False),
        ("Last complete run", False),
        ("Last run", False),
        ("Records", True),
        *((k.capitalize(), True) for k in CHANGE_KINDS),
        ("Warnings", True),
    ]
    rows = []
    for v in views:
        totals = v.totals
        warnings = sum(int(w.get("count", 0) or 0) for w in v.warnings)
        rows.append(
            [
                f'<a href="{esc(paths.source(v.name))}">{esc(v.name)}</a>',
                _badge(v.health),
                _when(v.status.last_complete, now),
                esc(v.status.last_status),
                esc(v.records),
                *(esc(totals[k]) for k in CHANGE_KINDS),
                esc(warnings),
            ]
        )
    note = f'<p role="alert">{esc(store_missing)}</p>' if store_missing else ""
    body = f"""<header><h1>Sync status</h1>
<p class="summary">{len(views)} source{"" if len(views) == 1 else "s"}: {summary}</p></header>
<main id="main">{note}
<h2>Sources</h2>
{_table("Sources, their health and the last run's counts", headers, rows, empty="No source has run yet.")}
<h2>Latest changes</h2>
{_changes_table(changes, with_source=True, paths=paths)}
</main>"""
    return _page("Sync status", paths, body, now=now)


def _facts(detail: SourceDetail, now: datetime) -> str:
    s = detail.view.status
    run = detail.view.last_run
    report = (run.report or {}) if run else {}
    items = [
        ("Health", _badge(detail.view.health)),
        ("Last complete run", _when(s.last_complete, now)),
        ("Stale after", esc(format_age(s.max_age_s))),
        ("Newest run", esc(s.last_status)),
        ("Failed runs since the last complete one", esc(s.failures_since)),
        ("Records held", esc(detail.view.records)),
    ]
    if run is not None:
        mode = "full" if run.full else "incremental"
        items += [
            ("Last finished run", f"#{esc(run.run_id)} {esc(run.status)} ({esc(mode)}), {_when(run.finished, now)}"),
            ("Duration", f"{float(report.get('duration_s', 0.0) or 0.0):.1f} s"),
            ("Requests / retries", f"{esc(report.get('requests', 0))} / {esc(report.get('retries', 0))}"),
            ("Missing references", esc(report.get("missing_references", 0))),
        ]
    if s.locked or s.duplicates or s.gave_up:
        items.append(("Fleet tasks", f"locked {s.locked}, duplicates {s.duplicates}, gave up {s.gave_up}"))
    return '<dl class="facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def _history(runs: Sequence[RunInfo], now: datetime) -> str:
    headers: list[tuple[str, bool]] = [
        ("Run", True),
        ("Started", False),
        ("Status", False),
        ("Mode", False),
        ("Duration (s)", True),
        *((k.capitalize(), True) for k in CHANGE_KINDS),
        ("Errors", False),
    ]
    rows = []
    for r in runs:
        report = r.report or {}
        totals = run_totals(r)
        errors = "; ".join(str(e) for e in (report.get("errors") or [])[:3])
        duration = report.get("duration_s")
        rows.append(
            [
                esc(r.run_id),
                esc(r.started),
                esc(r.status),
                "full" if r.full else "incremental",
                esc(f"{float(duration):.1f}" if duration is not None else ""),
                *(esc(totals[k]) for k in CHANGE_KINDS),
                esc(errors),
            ]
        )
    return _table("Run history, newest first", headers, rows, empty="No runs.")


def source_page(detail: SourceDetail, *, paths: Paths, now: datetime) -> bytes:
    """``/status/source/<name>``: the source's health, its last run in detail and its run history."""
    name = detail.view.name
    run = detail.view.last_run
    report = (run.report or {}) if run else {}
    errors = "".join(f"<li>{esc(e)}</li>" for e in report.get("errors") or [])
    count_headers: list[tuple[str, bool]] = [("Type", False), *((k.capitalize(), True) for k in COUNT_KINDS)]
    count_rows = [[esc(t), *(esc(c[k]) for k in COUNT_KINDS)] for t, c in detail.counts.items()]
    warning_rows = [
        [f"<code>{esc(w.get('code'))}</code>", esc(w.get("count")), esc(w.get("example"))]
        for w in sorted(report.get("warnings") or [], key=lambda w: str(w.get("code")))
    ]
    q_rows = [
        [
            esc(q.get("type") or "unknown"),
            f'<span class="id">{esc(q.get("ref") or "")}</span>',
            esc(q.get("reason")),
            f'<a href="{esc(paths.payload(name, q.get("qid")))}">payload #{esc(q.get("qid"))}</a>',
        ]
        for q in detail.quarantine
    ]
    shown = (
        f" (the first {len(detail.quarantine)} of {detail.quarantine_total})"
        if detail.quarantine_total > len(detail.quarantine)
        else ""
    )
    body = f"""<header><p><a href="{esc(paths.overview)}">All sources</a></p>
<h1>Source <span class="id">{esc(name)}</span></h1></header>
<main id="main">
{_facts(detail, now)}
{f"<h2>Errors of the last run</h2><ul>{errors}</ul>" if errors else ""}
<h2>Last run: records per type</h2>
{_table("Records of the last finished run, per type", count_headers, count_rows, empty="The last run read no records.")}
<h2>Warnings of the last run</h2>
{_table(WARNINGS_CAPTION, WARNING_HEADERS, warning_rows, empty="No warnings.")}
<h2>Quarantined records of the last run{esc(shown)}</h2>
{_table(QUARANTINE_CAPTION, QUARANTINE_HEADERS, q_rows, empty="Nothing quarantined.")}
<h2>Latest changes</h2>
{_changes_table(detail.changes, with_source=False, paths=paths)}
<h2>Run history</h2>
{_history(detail.runs, now)}
</main>"""
    return _page(f"{name}: sync status", paths, body, now=now)


def payload_text(row: dict[str, Any]) -> bytes:
    """A quarantined payload as plain text: the reason, then the raw JSON, indented when it parses."""
    raw = str(row.get("raw") or "")
    with contextlib.suppress(ValueError):
        raw = json.dumps(json.loads(raw), ensure_ascii=False, indent=2)
    head = f"source: {row.get('source')}\nrun: {row.get('run_id')}\ntype: {row.get('type')}\n"
    head += f"reference: {row.get('ref')}\nreason: {row.get('reason')}\n\n"
    return (head + raw + "\n").encode("utf-8")
