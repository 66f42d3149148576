"""A sample OParl 1.1 server in its own process, steered through stdin, for benchmarks.

    python bench/server.py --scale 1.0 --page-size 100 [--latency 0.1]

Prints ``READY <system url> <objects>`` when serving. Commands on stdin, one per line:
``latency SECONDS``, ``touch FRACTION`` (change that share of the listed objects, stamped with
the current time), ``quit``. Each command is answered with ``OK ...``.
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import datetime, timezone

from ris_connector.sample.dataset import LIST_KEYS
from ris_connector.sample.server import OParlServer


def main() -> None:
    """Serve until ``quit`` or end of input."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    server = OParlServer(version="1.1", scale=args.scale, seed=args.seed, page_size=args.page_size).start()
    server.latency = args.latency
    types = sorted(LIST_KEYS)
    listed = [oid for t in types for oid in server.dataset.ids(t)]
    print(f"READY {server.system_url} {len(listed)}", flush=True)
    rng = random.Random(args.seed)
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "latency":
            server.latency = float(arg)
            print(f"OK latency {server.latency}", flush=True)
        elif cmd == "touch":
            now = datetime.now(timezone.utc).replace(microsecond=0)
            chosen = rng.sample(listed, max(1, int(len(listed) * float(arg))))
            for oid in chosen:
                obj = server.dataset.get(oid)
                field = "description" if "description" in obj and "name" not in obj else "name"
                server.dataset.update(oid, modified=now, **{field: f"{obj.get(field) or ''} (geändert)"})
            print(f"OK touched {len(chosen)}", flush=True)
        elif cmd == "quit":
            break
    server.stop()


if __name__ == "__main__":
    main()
