"""Serve the sample council: ``python -m ris_connector.sample [--scale 0.02] [--quirk NAME ...]``."""

from __future__ import annotations

import argparse
import time

from ris_connector.sample.server import OParlServer
from ris_connector.sample.views import QUIRKS, VENDORS


def main(argv: list[str] | None = None) -> None:
    """Run an :class:`OParlServer` in the foreground until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m ris_connector.sample", description=__doc__)
    parser.add_argument("--version", default="1.1", choices=("1.0", "1.1"))
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--quirk", action="append", default=[], choices=sorted(QUIRKS))
    parser.add_argument("--vendor", choices=[v for v in VENDORS if v])
    args = parser.parse_args(argv)
    with OParlServer(
        version=args.version, scale=args.scale, seed=args.seed, port=args.port, quirks=args.quirk, vendor=args.vendor
    ) as srv:
        print(f"OParl system: {srv.system_url}  (Ctrl-C to stop)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
