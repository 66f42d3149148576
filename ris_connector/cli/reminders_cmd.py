"""``ris-connector reminders``: meetings and appointments starting soon, each printed once."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from typing import Any

from ris_connector.cli.common import EXIT_OK, add_db_argument, open_db, print_json
from ris_connector.config import parse_duration
from ris_connector.errors import ConfigError
from ris_connector.reminders import Reminders


def register(sub: Any) -> None:
    """Add the sub-command."""
    p = sub.add_parser("reminders", help="print due reminders (meetings, appointments) once each")
    add_db_argument(p)
    p.add_argument("--within", default="24h", help="lead time, e.g. 24h, 90m, 2d (default: 24h)")
    p.add_argument("--source", default=None, help="only records of this source")
    p.add_argument("--json", action="store_true", help="JSON lines (default: one message per line)")
    p.add_argument("--peek", action="store_true", help="show due reminders without marking them sent")
    p.set_defaults(handler=run_reminders)


def run_reminders(args: argparse.Namespace) -> int:
    """Print each due reminder and mark it sent right after it is printed."""
    try:
        within = timedelta(seconds=parse_duration(args.within))
    except ValueError as exc:
        raise ConfigError(f"--within: {exc}") from None
    store = open_db(args)
    try:
        reminders = Reminders(store, within=within, source=args.source)
        for reminder in reminders.due() if args.peek else reminders.take():
            if args.json:
                print_json(reminder.to_json_dict())
            else:
                print(f"{reminder.start.isoformat()}  {reminder.message}")
            sys.stdout.flush()  # printed before it is marked sent: at least once
    finally:
        store.close()
    return EXIT_OK
