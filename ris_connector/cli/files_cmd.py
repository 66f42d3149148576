"""``ris-connector files``: mirror the documents behind File records, verified; search their text."""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta, timezone
from typing import Any

from ris_connector.cli.common import EXIT_OK, Progress, add_db_argument, open_db, print_json
from ris_connector.config import SourceConfig, load_config, parse_duration
from ris_connector.errors import ConfigError
from ris_connector.files import DEFAULT_DEST, FileMirror


def register(sub: Any) -> None:
    """Add the sub-command."""
    p = sub.add_parser("files", help="download and verify the files behind File records; search their text")
    add_db_argument(p)
    p.add_argument("--dest", metavar="DIR", default=DEFAULT_DEST, help=f"file storage (default: {DEFAULT_DEST}/)")
    p.add_argument("--config", metavar="FILE", help="TOML config: each source's allowed hosts and HTTP settings")
    p.add_argument("--source", help="only Files of this source")
    p.add_argument("--since", metavar="WHEN", help="only Files modified since a date/time (ISO) or a span (7d)")
    p.add_argument("--workers", type=int, default=4, help="parallel downloads (per-host limits still apply)")
    p.add_argument("--max-size", type=int, metavar="BYTES", help="largest file to accept (default: 100 MiB)")
    p.add_argument("--no-text", action="store_true", help="do not extract text from PDFs")
    p.add_argument("--search", metavar="WORDS", help="print the Files whose text contains every word; no download")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object on stdout")
    p.set_defaults(handler=run)


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """``2024-05-01``, ``2024-05-01T10:00+02:00`` or a span back from now (``36h``, ``7d``)."""
    try:
        return (now or datetime.now(timezone.utc)) - timedelta(seconds=parse_duration(value))
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value), datetime.min.time())
        except ValueError:
            raise ConfigError(f"--since: not a date, time or span: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def run(args: argparse.Namespace) -> int:
    """Mirror (or search) and print the report."""
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    sources: list[SourceConfig] = []
    db = None
    if args.config:
        cfg = load_config(args.config)
        sources, db = cfg.sources, cfg.db
    since = parse_since(args.since) if args.since else None
    store = open_db(args, db)
    try:
        mirror = FileMirror(
            store,
            args.dest,
            sources=sources,
            max_bytes=args.max_size,
            workers=args.workers,
            extract_text=not args.no_text,
        )
        if args.search is not None:
            for file_id in mirror.search(args.search, source=args.source):
                path = mirror.path_for(file_id)
                print_json(
                    {"id": file_id, "path": str(path) if path else None, "contentType": mirror.content_type(file_id)}
                )
            return EXIT_OK
        progress = Progress("files", enabled=not args.quiet)
        report = mirror.run(since=since, source=args.source, progress=progress)
        progress.done()
    finally:
        store.close()
    if args.json:
        print_json(report.to_json_dict())
    elif not args.quiet:
        print(report.summary())
    return EXIT_OK
