"""``ris-connector worker`` and ``ris-connector beat``: the Celery fleet without an ``-A`` path.

Both are thin wrappers around ``celery -A ris_connector.celery.app worker|beat``; options not
listed here go to Celery after ``--``.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from ris_connector.cli.common import EXIT_OK
from ris_connector.errors import ConfigError


def register(sub: Any) -> None:
    """Add the sub-commands."""
    w = sub.add_parser("worker", help="start a Celery worker that syncs sources (needs ris-connector[celery])")
    _common(w)
    w.add_argument("-c", "--concurrency", type=int, default=None, help="sources synced at once (default: CPUs)")
    w.add_argument("-n", "--hostname", default=None, help="worker name, e.g. w1@%%h")
    w.set_defaults(handler=run_worker)

    b = sub.add_parser("beat", help="start Celery beat: sends each source's sync every `interval`")
    _common(b)
    b.add_argument("--schedule-file", default=None, help="where beat keeps its state (default: ./celerybeat-schedule)")
    b.set_defaults(handler=run_beat)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="the sources file (default: $RIS_CONFIG)")
    p.add_argument("--db", metavar="URL", help="the shared store (default: $RIS_DB, else the file's db)")
    p.add_argument("--broker", metavar="URL", help="the broker (default: $RIS_BROKER_URL or redis://127.0.0.1:6379/0)")
    p.add_argument("--loglevel", default="INFO", help="Celery log level (default INFO)")
    p.add_argument("celery_args", nargs=argparse.REMAINDER, help="after --: more options for Celery")


def _app(args: argparse.Namespace) -> Any:
    try:
        from ris_connector.celery.factory import create_app
        from ris_connector.celery.settings import FleetSettings
    except ImportError as exc:
        raise ConfigError(f"Celery is not installed ({exc}); pip install 'ris-connector[celery]'") from None
    settings = FleetSettings.from_env()
    overrides = {k: v for k, v in (("config", args.config), ("db", args.db), ("broker_url", args.broker)) if v}
    settings = dataclasses.replace(settings, **overrides)
    settings.require_config()
    return create_app(settings)


def _extra(args: argparse.Namespace) -> list[str]:
    extra = list(args.celery_args)
    return extra[1:] if extra[:1] == ["--"] else extra


def run_worker(args: argparse.Namespace) -> int:
    """Run a worker until it is stopped."""
    argv = ["worker", "--loglevel", args.loglevel]
    if args.concurrency:
        argv += ["--concurrency", str(args.concurrency)]
    if args.hostname:
        argv += ["--hostname", args.hostname]
    _app(args).worker_main(argv + _extra(args))
    return EXIT_OK


def run_beat(args: argparse.Namespace) -> int:
    """Run beat until it is stopped."""
    argv = ["beat", "--loglevel", args.loglevel]
    if args.schedule_file:
        argv += ["--schedule", args.schedule_file]
    _app(args).start(argv + _extra(args))
    return EXIT_OK
