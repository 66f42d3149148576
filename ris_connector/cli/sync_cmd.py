"""``ris-connector sync``: one source (``--oparl``, ``--ics``, ``--xml``, ``--soap``) or a ``--config`` file."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ris_connector.cli.common import (
    EXIT_DEGRADED,
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_USAGE,
    Progress,
    add_db_argument,
    open_db,
    print_json,
)
from ris_connector.config import SourceConfig, load_config, source_from_mapping
from ris_connector.errors import ConfigError, LockedError, SourceError, StoreError
from ris_connector.sync import RunReport, run_source
from ris_connector.sync.report import combined, overall_status


def register(sub: Any) -> None:
    """Add the sub-command."""
    p = sub.add_parser("sync", help="sync one source or every source of a config file")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--oparl", metavar="URL", help="OParl System URL")
    what.add_argument("--ics", metavar="URL", help="iCalendar feed URL (every run is a full run)")
    what.add_argument("--config", metavar="FILE", help="TOML file listing sources")
    what.add_argument("--xml", metavar="URL", help="XML export URL or file (with --mapping)")
    what.add_argument("--soap", metavar="WSDL", help="SOAP service WSDL URL or file (with --mapping)")
    p.add_argument("--mapping", metavar="MAPPING", help="mapping file or shipped mapping name (e.g. allris3)")
    p.add_argument("--name", help="source name for a single source (default: the URL's host)")
    p.add_argument("--source", action="append", help="with --config: only this source (repeatable)")
    p.add_argument(
        "--kind",
        choices=("meetings", "appointments"),
        default=None,
        help="with --ics: meetings (RIS calendar, default) or appointments (booking system)",
    )
    add_db_argument(p)
    p.add_argument("--json", action="store_true", help="print the run report as one JSON object on stdout")
    p.add_argument("--full", action="store_true", help="force a full reconciliation run")
    p.add_argument("--timezone", default=None, help="timezone of naive source times (default Europe/Berlin)")
    p.add_argument("--wait", action="store_true", help="wait for another sync of the same source to finish")
    p.add_argument(
        "--metrics-textfile",
        metavar="PATH",
        help="after the sync, write the synced sources' Prometheus metrics to PATH (*.prom, for the "
        "node exporter's textfile collector; replaced atomically)",
    )
    p.set_defaults(handler=run)


def single_source(
    adapter: str, url: str, args: argparse.Namespace, options: dict[str, Any] | None = None
) -> SourceConfig:
    """A SourceConfig for one source given on the command line."""
    name = args.name or (urlsplit(url).hostname or "source").replace(":", "_")
    raw: dict[str, Any] = {"name": name, "adapter": adapter, "url": url, "options": options or {}}
    if args.timezone:
        raw["timezone"] = args.timezone
    return source_from_mapping(raw)


def _sources(args: argparse.Namespace) -> tuple[list[SourceConfig], str | None]:
    if args.kind and not args.ics:
        raise ConfigError("--kind is an option of --ics (with --config: kind = ... in the source table)")
    if args.config:
        cfg = load_config(args.config)
        sources = cfg.sources
        if args.source:
            unknown = set(args.source) - {s.name for s in sources}
            if unknown:
                raise ConfigError(f"no source named {', '.join(sorted(unknown))} in {args.config}")
            sources = [s for s in sources if s.name in args.source]
        return sources, cfg.db
    if args.ics:
        return [single_source("ics", args.ics, args, {"kind": args.kind} if args.kind else None)], None
    if args.xml or args.soap:
        return [_mapped_source(args)], None
    return [single_source("oparl", args.oparl, args)], None


def _mapped_source(args: argparse.Namespace) -> SourceConfig:
    """``--xml`` or ``--soap``: a URL, or a local file (whose name names the source)."""
    adapter, target = ("xml", args.xml) if args.xml else ("soap", args.soap)
    if not args.mapping:
        raise ConfigError(f"--{adapter} needs --mapping (a mapping file or a shipped name such as allris3)")
    options: dict[str, Any] = {"mapping": args.mapping}
    if urlsplit(target).scheme in ("http", "https"):
        return single_source(adapter, target, args, options)
    if not Path(target).is_file():
        raise ConfigError(f"--{adapter}: {target} is neither an http(s) URL nor a file")
    url: str | None = None
    if adapter == "xml":
        options["file"] = [target]
    else:
        from ris_connector.adapters.soap.wsdl import service_address

        options["wsdl"] = target
        url = service_address(Path(target))
    name = args.name or re.sub(r"[^A-Za-z0-9._-]+", "-", Path(target).stem).strip("-._") or adapter
    raw: dict[str, Any] = {"name": name, "adapter": adapter, "url": url, "options": options}
    if args.timezone:
        raw["timezone"] = args.timezone
    return source_from_mapping(raw)


def run(args: argparse.Namespace) -> int:
    """Run the sync and print the report(s)."""
    sources, db = _sources(args)
    store = open_db(args, db, create=True)
    reports: list[RunReport] = []
    misconfigured = False
    try:
        for source in sources:
            progress = Progress(source.name, enabled=not args.quiet)
            try:
                report = run_source(
                    source,
                    store,
                    full=True if args.full else None,
                    progress=progress,
                    wait_for_lock=args.wait,
                )
            except LockedError as exc:
                progress.done()
                print(f"ris-connector: {exc}", file=sys.stderr)
                report = RunReport(source.name, source.adapter, False, "", status="locked", errors=[str(exc)])
            except (ConfigError, SourceError, StoreError) as exc:  # this source only: the next ones still run
                progress.done()
                if len(sources) == 1:
                    raise
                misconfigured = misconfigured or isinstance(exc, ConfigError)
                kind = "configuration error: " if isinstance(exc, ConfigError) else ""
                print(f"ris-connector: {source.name}: {kind}{exc}", file=sys.stderr)
                report = RunReport(source.name, source.adapter, False, "", status="failed", errors=[str(exc)])
            progress.done()
            reports.append(report)
            if not args.json and not args.quiet:
                print(report.summary())
        if args.metrics_textfile:
            from ris_connector.metrics.textfile import write_source_metrics

            write_source_metrics(args.metrics_textfile, store, sources)
    finally:
        store.close()
    if args.json:
        print_json(reports[0].to_json_dict() if len(reports) == 1 else combined(reports))
    if misconfigured:
        return EXIT_USAGE
    return _EXIT[overall_status(reports)]


#: Exit status per overall outcome (sync/report.py: ``overall_status``).
_EXIT = {"complete": EXIT_OK, "degraded": EXIT_DEGRADED, "incomplete": EXIT_INCOMPLETE}
