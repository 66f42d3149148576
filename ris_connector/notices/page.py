"""``docs/quirks.md``, rendered from the registry: the quirk catalogue and every notice code.

The page is generated, never edited: ``ris-connector quirks --markdown --out docs/quirks.md``
writes it, ``--check`` (run by a test) fails while it differs from what this module renders.
"""

from __future__ import annotations

from collections.abc import Iterable

from ris_connector.notices.code import NoticeCode, Quirk
from ris_connector.notices.quirks import QUIRKS
from ris_connector.notices.registry import MODULES, codes_of, quirk_of

PAGE = "quirks.md"

_INTRO = """\
# Quirk catalogue

<!-- Generated from ris_connector/notices/ by `ris-connector quirks --markdown --out docs/quirks.md`;
do not edit by hand (a test fails while this page is stale). -->

Real OParl servers deviate from the specification in about forty observed ways, most of them
habits of one of the vendor families that run nearly all German OParl interfaces. The library
survives each row below: it syncs what can be synced, records what could not be, and never
crashes or loops. A deviation it meets is counted in the run report under a notice code, with
the count and a first example; the codes of row N start with `oparl-qN-`, and stored reports
keep them, so a number is never reused.

By vendor: [Sternberg SD.NET RIM](sources/vendors/sternberg.md),
[CC e-gov ALLRIS](sources/vendors/allris.md), [Somacos Session](sources/vendors/somacos.md),
[more! rubin](sources/vendors/rubin.md). How a quirk is added: `CONTRIBUTING.md`.
"""

_SECTIONS = {
    "values": "Values (any adapter)",
    "engine": "The sync engine",
    "oparl": "OParl",
    "ics": "iCalendar feeds",
    "soap": "SOAP services",
}


def render_page() -> str:
    """The Markdown of ``docs/quirks.md``."""
    lines = [_INTRO, "## The quirks", ""]
    lines += _table(
        ["#", "What the server does", "Vendors", "What the library does", "Notice codes", "Tests"],
        (_quirk_row(q) for q in QUIRKS),
    )
    lines += [
        "",
        "## Every notice code",
        "",
        "Each code a run report can show, what the source did and what happens; the quirk row where",
        "it has one. Codes marked *no deletes* mean a list was not read whole: the run deletes",
        "nothing for absence.",
    ]
    for module in MODULES:
        short = module.__name__.rsplit(".", 1)[-1]
        codes = codes_of(module)
        lines += ["", f"### {_SECTIONS[short]}", ""]
        lines += _table(["Code", "What the source did", "What happens", "Row"], (_code_row(c) for c in codes))
    return "\n".join(lines) + "\n"


def _quirk_row(q: Quirk) -> list[str]:
    tests = "<br>".join(f"`{t.removeprefix('tests/')}`" for t in q.tests)
    codes = "<br>".join(f"`{c}`" for c in q.codes)
    return [str(q.number), q.title, ", ".join(q.vendors), q.handling, codes, tests]


def _code_row(code: NoticeCode) -> list[str]:
    quirk = quirk_of(code)
    happens = code.handling + "".join(f"; *{e}*" for e in _short_effects(code))
    return [f"`{code}`", code.what, happens, str(quirk.number) if quirk else ""]


def _short_effects(code: NoticeCode) -> list[str]:
    return ["no deletes" if e.startswith("no deletes") else e for e in code.effects]


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return out
