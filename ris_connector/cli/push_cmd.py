"""``ris-connector push``: deliver the change feed to a webhook, signed, at least once."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ris_connector.cli.common import EXIT_INCOMPLETE, EXIT_OK, add_db_argument, open_db, print_json
from ris_connector.errors import ConfigError
from ris_connector.feed import Consumer
from ris_connector.feed.webhook import WebhookSender
from ris_connector.http.outbound import RetryPolicy


def register(sub: Any) -> None:
    """Add the sub-command."""
    p = sub.add_parser("push", help="POST change events and notifications to a webhook")
    add_db_argument(p)
    p.add_argument("--url", required=True, help="webhook URL (http or https)")
    p.add_argument(
        "--secret-env",
        metavar="NAME",
        default=None,
        help="environment variable holding the HMAC secret for X-RIS-Signature",
    )
    p.add_argument("--consumer", default="webhook", help="cursor name; one per receiver (default: webhook)")
    p.add_argument("--source", default=None, help="only events of this source")
    p.add_argument(
        "--start",
        choices=("beginning", "end"),
        default="beginning",
        help="where a new consumer starts: the whole history or only new events (default: beginning)",
    )
    p.add_argument("--limit", type=int, default=None, help="at most this many events per run")
    p.add_argument("--max-attempts", type=int, default=8, help="attempts per event before giving up (default: 8)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(handler=run_push)


def run_push(args: argparse.Namespace) -> int:
    """Deliver pending events; exit 3 if one could not be delivered (the cursor stays before it)."""
    if not args.url.startswith(("http://", "https://")):
        raise ConfigError(f"--url must be an http(s) URL, not {args.url!r}")
    secret: bytes | None = None
    if args.secret_env:
        value = os.environ.get(args.secret_env)
        if not value:
            raise ConfigError(f"environment variable {args.secret_env} (--secret-env) is not set or empty")
        secret = value.encode("utf-8")
    store = open_db(args)
    try:
        consumer = Consumer(store, args.consumer, source=args.source, start=args.start)
        sender = WebhookSender(args.url, secret=secret, policy=RetryPolicy(max_attempts=args.max_attempts))
        result = sender.push(consumer, limit=args.limit)
    finally:
        store.close()
    if args.json:
        print_json(
            {
                "delivered": result.delivered,
                "notifications": result.notifications,
                "cursor": result.cursor,
                "error": result.error,
            }
        )
    else:
        print(f"delivered {result.delivered} events ({result.notifications} notifications); cursor at {result.cursor}")
        if result.error:
            print(f"stopped: {result.error}")
    return EXIT_INCOMPLETE if result.error else EXIT_OK
