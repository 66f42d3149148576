"""``ris-connector quirks``: what a notice code means; the quirk catalogue page (``docs/quirks.md``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ris_connector.cli.common import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from ris_connector.generated import stale_files, write_files
from ris_connector.notices import CODES, QUIRKS, quirk_of
from ris_connector.notices.page import render_page


def register(sub: Any) -> None:
    """Add the sub-command."""
    p = sub.add_parser("quirks", help="explain notice codes; list the OParl quirk catalogue")
    p.add_argument("codes", nargs="*", metavar="CODE", help="notice codes from a run report to explain")
    p.add_argument("--markdown", action="store_true", help="the catalogue page (docs/quirks.md) as Markdown")
    p.add_argument("--out", metavar="FILE", help="with --markdown: write the page to FILE")
    p.add_argument("--check", action="store_true", help="with --out: only check that FILE is current; exit 3 if not")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Explain codes, print the catalogue, or write or check its page."""
    if args.markdown:
        return _page(args)
    if args.codes:
        unknown = [c for c in args.codes if c not in CODES]
        for code in args.codes:
            if code in CODES:
                print(_explain(code))
        for code in unknown:
            print(f"ris-connector: {code!r} is no notice code of ris-connector (a plugin's?)", file=sys.stderr)
        return EXIT_USAGE if unknown else EXIT_OK
    for quirk in QUIRKS:
        codes = ", ".join(quirk.codes) or "(no notice)"
        print(f"{quirk.number:>2}  {quirk.title}\n    {', '.join(quirk.vendors)}: {codes}")
    return EXIT_OK


def _explain(code: str) -> str:
    meaning = CODES[code]
    lines = [code, f"  the source: {meaning.what}", f"  the library: {meaning.handling}"]
    lines += [f"  also: {effect}" for effect in meaning.effects]
    quirk = quirk_of(code)
    if quirk is not None:
        lines.append(f"  quirk {quirk.number}: {quirk.title} ({', '.join(quirk.vendors)})")
    return "\n".join(lines)


def _page(args: argparse.Namespace) -> int:
    text = render_page()
    if not args.out:
        if args.check:
            raise SystemExit("ris-connector quirks: --check needs --out FILE")
        sys.stdout.write(text)
        return EXIT_OK
    target = Path(args.out)
    rendered = {target.name: text}
    if args.check:
        stale = stale_files(target.parent, rendered)
        for path in stale:
            print(f"stale: {path} (run ris-connector quirks --markdown --out {path})", file=sys.stderr)
        return EXIT_INCOMPLETE if stale else EXIT_OK
    write_files(target.parent, rendered)
    print(f"wrote {target}", file=sys.stderr)
    return EXIT_OK
