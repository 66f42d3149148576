"""``ris-connector check URL``: what an OParl endpoint (or iCalendar feed) serves and where it deviates.

Exit status 0 when the endpoint was read completely and nothing deviates from the specification,
1 when the report lists deviations, quarantined records or broken references, 3 when it could
not be read completely. The report goes to stdout or ``--out``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ris_connector.cli.common import EXIT_INCOMPLETE, EXIT_OK
from ris_connector.errors import ConfigError
from ris_connector.http import HttpSettings

EXIT_DEVIATIONS = 1


def register(sub: Any) -> None:
    """Add the sub-command."""
    p = sub.add_parser("check", help="conformance report of an OParl endpoint or iCalendar feed (Markdown or HTML)")
    p.add_argument("url", metavar="URL", help="the OParl System URL, or an iCalendar feed URL")
    p.add_argument(
        "--format", choices=("md", "html"), default=None, help="md (default) or html (default by --out's suffix)"
    )
    p.add_argument("--out", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--timezone", default="Europe/Berlin", help="timezone of naive times (default Europe/Berlin)")
    p.add_argument("--read-timeout", type=float, default=120.0, help="seconds to wait for one answer (default 120)")
    p.add_argument(
        "--rate-limit", type=float, default=None, help="requests per second to the server (default: the core's)"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the check and write the report."""
    from ris_connector.check import check_url, to_html, to_markdown

    fmt = args.format or ("html" if args.out and Path(args.out).suffix.lower() in (".html", ".htm") else "md")
    if args.out and not Path(args.out).resolve().parent.is_dir():
        raise ConfigError(f"--out: no such directory: {Path(args.out).parent}")
    options: dict[str, Any] = {"read_timeout": args.read_timeout}
    if args.rate_limit is not None:
        options["rate_limit"] = args.rate_limit
    report = check_url(args.url, http=HttpSettings(**options), timezone_name=args.timezone)
    text = to_html(report) if fmt == "html" else to_markdown(report)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    if report.sync.get("status") in ("incomplete", "failed", "aborted"):
        return EXIT_INCOMPLETE
    return EXIT_DEVIATIONS if report.problem_total() or report.missing else EXIT_OK
