"""``ris-connector demo``: a tour on sample data: serve a council as OParl on 127.0.0.1, sync it twice.

The sample council is dated on today (``--date``): its next meetings lie tomorrow and in the
coming weeks (:mod:`ris_connector.sample.tour`), so reminders and the Smart Village dry run
show something. After the initial load the council cancels, moves and relocates meetings and
files a motion; a second, incremental sync reads those changes, and the change feed tells what
an app would push. The demo ends with the commands to try next, each naming the demo's database.
"""

from __future__ import annotations

import argparse
import shlex
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from ris_connector.cli.common import DEMO_DB, EXIT_INCOMPLETE, EXIT_OK, Progress, add_db_argument, print_json
from ris_connector.clock import SystemClock
from ris_connector.config import source_from_mapping
from ris_connector.errors import ConfigError
from ris_connector.feed import Deriver, Notification
from ris_connector.store import Store, open_store
from ris_connector.sync import RunReport, run_source

BERLIN = ZoneInfo("Europe/Berlin")
#: A fixed port keeps record ids (which are the server's URLs) equal across demo runs.
DEMO_PORT = 8317
#: What the printed Smart Village dry run names as the mainserver (nothing is sent).
MAINSERVER = "https://mainserver.example.org"


def register(sub: Any) -> None:
    """Add the sub-command."""
    p = sub.add_parser("demo", help="a tour on sample council data served on 127.0.0.1 (no network needed)")
    add_db_argument(p)
    p.add_argument("--scale", type=float, default=0.02, help="size of the sample data (1.0 = a large city)")
    p.add_argument("--oparl-version", choices=("1.0", "1.1"), default="1.1")
    p.add_argument("--port", type=int, default=DEMO_PORT, help=f"port on 127.0.0.1 (default {DEMO_PORT}; 0 = any)")
    p.add_argument(
        "--date",
        type=date.fromisoformat,
        default=None,
        help="date the sample council's program is built around (default: today)",
    )
    p.add_argument("--json", action="store_true", help="print both run reports and the next steps as one JSON object")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve the sample council, load it, let it change, sync again, print what happened and what to try."""
    from ris_connector.sample.server import OParlServer
    from ris_connector.sample.tour import Tour, tour

    clock = SystemClock()
    day = args.date or clock.now().astimezone(BERLIN).date()
    tours: list[Tour] = []

    def dataset(base: str) -> Any:
        tours.append(tour(base, day, scale=args.scale, version=args.oparl_version))
        return tours[-1].dataset

    store = open_store(args.db or DEMO_DB)  # its own file: never the fleet's RIS_DB
    try:
        try:
            server = OParlServer(version=args.oparl_version, port=args.port, dataset_factory=dataset).start()
        except OSError as exc:
            raise ConfigError(
                f"cannot serve the demo on 127.0.0.1:{args.port} ({exc}); choose another --port"
            ) from None
        with server:
            source = source_from_mapping({"name": "demo", "adapter": "oparl", "url": server.system_url})
            progress = Progress("demo", enabled=not args.quiet)
            load = run_source(source, store, full=True, progress=progress)
            progress.done()
            after = max((event.seq for event in store.changes(after=0, source="demo")), default=0)
            changed = tours[0].change(clock.now()) if load.complete else []
            update = run_source(source, store, progress=progress) if load.complete else None
            progress.done()
        notifications = _notifications(store, after) if update is not None else []
    finally:
        store.close()
    steps = next_steps(args.db or DEMO_DB, server.port, after)
    if args.json:
        print_json(
            {
                "date": day.isoformat(),
                "load": load.to_json_dict(),
                "changed": changed,
                "update": update.to_json_dict() if update else None,
                "notifications": [n.to_json_dict() for n in notifications],
                "next": [command for command, _ in steps],
            }
        )
    else:
        _print_tour(server.system_url, day, load, changed, update, notifications, steps)
    complete = load.complete and update is not None and update.complete
    return EXIT_OK if complete else EXIT_INCOMPLETE


def next_steps(db: str, port: int, after: int) -> list[tuple[str, str]]:
    """The commands to try after the demo (and what each shows), each naming the demo's database."""
    d = f"--db {shlex.quote(db)}"
    return [
        (f"ris-connector status {d}", "the sync runs: last complete run, its age, failures"),
        (f"ris-connector export {d} --type Meeting | head -3", "records as JSON lines"),
        (f"ris-connector changes {d} --after {after}", "the change feed: what the second sync changed"),
        (f"ris-connector reminders {d} --within 48h --peek", "tomorrow's meeting (--peek: not marked as sent)"),
        (
            f"ris-connector smartvillage {d} --url {MAINSERVER} --dry-run | head -40",
            "upcoming meetings as Smart Village events (prints, sends nothing)",
        ),
        (f"ris-connector serve {d} --port {port}", f"the store as OParl 1.1: http://127.0.0.1:{port}/system"),
    ]


def _notifications(store: Store, after: int) -> list[Notification]:
    deriver = Deriver(store)
    return [n for event in store.changes(after=after, source="demo") for n in deriver.derive(event)]


def _print_tour(
    system_url: str,
    day: date,
    load: RunReport,
    changed: list[str],
    update: RunReport | None,
    notifications: list[Notification],
    steps: list[tuple[str, str]],
) -> None:
    print(f"Sample council 'Stadt Musterstadt', dated {day.isoformat()}, served at {system_url}\n")
    print("1. The initial load (a full sync):")
    print(load.summary())
    if update is not None:
        print("\n2. The council changed a few things:")
        print("\n".join(f"  {line}" for line in changed))
        print("   and the next sync asks only for what changed since the first one:")
        print(update.summary())
        print("\n3. What an app is told (notifications of the change feed):")
        for n in notifications:
            when = f" ({n.when.astimezone(BERLIN):%Y-%m-%d %H:%M})" if n.when else ""
            print(f"  {n.kind.value:<30} {n.title}{when}")
    print("\nNext, try (each command reads the demo's database):")
    for command, comment in steps:
        print(f"  # {comment}\n  {command}")
