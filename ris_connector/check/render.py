"""The check report as Markdown or HTML, from one outline (sections of paragraphs and tables).

Every text that comes from the endpoint is hostile: Markdown escapes its punctuation and table
pipes, HTML escapes everything; nothing from the endpoint becomes a link.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from ris_connector.check.report import EXPLAIN, VALIDATOR_KINDS, CheckReport, timing
from ris_connector.notices import describe
from ris_connector.notices.oparl import OPARL_VENDOR

MAX_TEXT = 300
MAX_ROWS = 200


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)


@dataclass
class Section:
    """A heading and its blocks (paragraphs and tables) in reading order."""

    title: str
    blocks: list[str | Table] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.blocks.append(text)

    def table(self, table: Table) -> None:
        self.blocks.append(table)


def _short(value: object) -> str:
    text = " ".join(str("" if value is None else value).split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _secs(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def outline(report: CheckReport) -> tuple[str, list[Section]]:
    """Title and sections of the report."""
    name = report.system.get("name") if isinstance(report.system.get("name"), str) else None
    what = "iCalendar feed" if report.kind == "ics" else "OParl endpoint"
    title = f"Conformance report: {what} {name or report.url}"
    sync = report.sync
    vendor = next((w.get("example") for w in report.notices if w.get("code") == OPARL_VENDOR), None)
    head = Section(
        "Summary",
        [
            f"Checked {report.url} at {report.checked_at} in {report.duration_s:.1f} s with ris-connector.",
            *([f"Detected: {vendor}."] if vendor else []),
        ],
    )  # fmt: skip
    sections = [head]
    problems = report.problem_counts
    notices = [w for w in report.notices if w.get("code") != OPARL_VENDOR]
    spec = f"{sum(problems.values())} deviations from the specification in {len(problems)} classes; "
    head.say(
        (spec if report.kind == "oparl" else "")
        + f"{sum(int(w.get('count', 0) or 0) for w in notices)} tolerated deviations in {len(notices)} kinds "
        f"(each repaired or worked around by the sync); {len(report.quarantine)} records that could not be used; "
        f"{len(report.missing)} references that cannot be had. The sync ended {sync.get('status', '?')}."
    )
    if report.walk and report.walk.aborted:
        head.say(f"The strict walk stopped early: {report.walk.aborted}.")
    if sync.get("errors"):
        head.say("Errors: " + "; ".join(_short(e) for e in sync["errors"]))
    sections.append(_serves(report))
    if report.kind == "oparl":
        sections += [_deviations(report), _validator(report)]
    sections += [_notices(notices), _quarantine(report), _missing(report)]
    if report.kind == "oparl":
        sections.append(_filters(report))
    return title, [s for s in sections if s.blocks]


def _serves(report: CheckReport) -> Section:
    s = Section("What it serves")
    if report.walk is not None and report.walk.lists:
        rows = []
        for st in report.walk.lists:
            t = timing(st)
            flags = ", ".join(f for f, on in (("given up", st.given_up), ("loops", st.loop)) if on)
            rows.append(
                [
                    st.name,
                    str(st.pages),
                    str(st.objects),
                    "" if st.claimed_total is None else str(st.claimed_total),
                    str(st.deleted),
                    _secs(t.get("median")),
                    _secs(t.get("p95")),
                    _secs(t.get("max")),
                    flags,
                ]
            )
        s.say(
            "The four main lists of each Body, read page by page without filters (times are seconds per page request)."
        )
        headers = ["List", "Pages", "Objects", "totalElements", "Deleted", "Median s", "p95 s", "Max s", "Note"]
        s.table(Table(headers, rows, {1, 2, 3, 4, 5, 6, 7}))
    if report.feed:
        f = report.feed
        s.say(
            f"The feed answered {f.get('bytes')} bytes as {f.get('content_type') or 'no content type'} "
            f"in {f.get('seconds')} s."
        )
    if report.records:
        s.say("What a client gets after a full sync (records per type, every list and embedded object):")
        s.table(Table(["Type", "Records"], [[t, str(n)] for t, n in report.records.items()], {1}))
    sync = report.sync
    s.say(
        f"The sync sent {sync.get('requests', 0)} requests ({sync.get('retries', 0)} retries), received "
        f"{sync.get('bytes', 0)} bytes and took {float(sync.get('duration_s', 0) or 0):.1f} s."
    )
    return s


def _deviations(report: CheckReport) -> Section:
    s = Section("Deviations from the specification")
    groups = sorted(report.walk.problems.values(), key=lambda g: (g.cls, g.path)) if report.walk else []
    if not groups:
        s.say("None found.")
        return s
    rows = [[g.cls, g.path, str(g.count), _short(g.example), EXPLAIN.get(g.cls, "")] for g in groups]
    s.table(Table(["Class", "Where", "Count", "First example", "Meaning"], rows, {2}))
    if report.list_links:
        s.say(
            f"{len(report.list_links)} of the referenced URLs are lists, as OParl 1.1 intends for example for "
            "Organization.meeting; they are counted as objects not in a list only because strict clients "
            f"(and the reference validator) expect an object there. First: {_short(report.list_links[0])}"
        )
    return s


def _validator(report: CheckReport) -> Section:
    s = Section("Compared with oparl-validator-rs")
    s.say(
        "The reference validator reports these problem kinds for the same responses (same rules, same counts); "
        "the sections below say more: which quirk each deviation is, what was repaired, what was lost."
    )
    counts = report.validator_counts()
    rows = [[kind, str(n)] for kind, n in counts.items()] or [["(none)", "0"]]
    s.table(Table(["Validator problem kind", "Count"], rows, {1}))
    mapping = ", ".join(f"{ours} = {theirs}" for ours, theirs in VALIDATOR_KINDS.items())
    s.say(f"Names: {mapping}.")
    return s


def _notices(notices: Sequence[dict[str, object]]) -> Section:
    s = Section("What the sync met and repaired (quirk codes)")
    if not notices:
        s.say("No tolerated deviations.")
        return s
    s.say(
        "Each code names a known deviation (oparl-qN: row N of the quirk catalogue); the sync worked around it. "
        "Count and the first example:"
    )
    rows = [[str(w.get("code")), str(w.get("count")), _short(w.get("example"))] for w in notices]
    s.table(Table(["Code", "Count", "Example"], rows, {1}))
    return s


def _quarantine(report: CheckReport) -> Section:
    s = Section("Records that could not be used")
    if not report.quarantine:
        s.say("None.")
        return s
    rows = [[str(q.get("type") or "?"), _short(q.get("ref")), _short(q.get("reason"))] for q in report.quarantine]
    if len(rows) > MAX_ROWS:
        s.say(f"The first {MAX_ROWS} of {len(rows)}.")
    s.table(Table(["Type", "Object", "Reason"], rows[:MAX_ROWS]))
    return s


def _missing(report: CheckReport) -> Section:
    s = Section("Broken references")
    if not report.missing:
        s.say("Every referenced object could be had.")
        return s
    rows = [[_short(m.get("id")), _short(m.get("referrer")), _short(m.get("reason"))] for m in report.missing]
    if len(rows) > MAX_ROWS:
        s.say(f"The first {MAX_ROWS} of {len(rows)}.")
    s.table(Table(["Object", "Referenced by", "Why it cannot be had"], rows[:MAX_ROWS]))
    return s


def _filters(report: CheckReport) -> Section:
    s = Section("Pagination and filters")
    pagination = [w for w in report.notices if describe(str(w.get("code", ""))).pagination]
    s.say(
        "Pagination: "
        + (
            "; ".join(f"{w.get('code')} x{w.get('count')}: {_short(w.get('example'))}" for w in pagination)
            if pagination
            else "links.next led through every list without loops or lost filters."
        )
    )
    if report.filters:
        s.say(
            "modified_since asked with a time one day ago and one day ahead (nothing can be modified after "
            "tomorrow, so a server that honours the filter answers no object):"
        )
        rows = [
            [f.list, "" if f.total is None else str(f.total), "" if f.recent is None else str(f.recent),
             "" if f.future is None else str(f.future), _short(f.verdict)]
            for f in report.filters
        ]  # fmt: skip
        s.table(Table(["List", "All objects", "Modified in the last day", "After tomorrow", "Verdict"], rows))
    return s


# --- Markdown --------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def to_markdown(report: CheckReport) -> str:
    """The report as GitHub-flavoured Markdown."""
    title, sections = outline(report)
    out = [f"# {_md(title)}", ""]
    for s in sections:
        out += [f"## {_md(s.title)}", ""]
        for block in s.blocks:
            if isinstance(block, str):
                out += [_md(block), ""]
                continue
            out.append("| " + " | ".join(_md(h) for h in block.headers) + " |")
            out.append("|" + "|".join("---:" if i in block.numeric else "---" for i in range(len(block.headers))) + "|")
            out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in block.rows]
            out.append("")
    return "\n".join(out)


# --- HTML ------------------------------------------------------------------------------------------
_CSS = """
body{margin:0 auto;max-width:70rem;padding:1rem;font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:1.75rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border-bottom:1px solid #c8c8c8;padding:.35rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f0f0f0}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
"""


def _cell(text: str, numeric: bool) -> str:
    return f"<td{' class=num' if numeric else ''}>{escape(text)}</td>"


def to_html(report: CheckReport) -> str:
    """The report as one self-contained HTML page (no script, no external resources)."""
    title, sections = outline(report)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<main><h1>{escape(title)}</h1>",
    ]
    for s in sections:
        parts.append(f"<h2>{escape(s.title)}</h2>")
        for t in s.blocks:
            if isinstance(t, str):
                parts.append(f"<p>{escape(t)}</p>")
                continue
            head = "".join(
                f'<th scope="col"{" class=num" if i in t.numeric else ""}>{escape(h)}</th>'
                for i, h in enumerate(t.headers)
            )
            body = "".join(
                "<tr>" + "".join(_cell(c, i in t.numeric) for i, c in enumerate(row)) + "</tr>" for row in t.rows
            )
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"
