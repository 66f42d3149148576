"""Benchmark: the client CPU of one list page, ``HttpClient.get`` against a bare requests session.

Starts ``bench/server.py`` at ``--scale``, collects every list page of its Body (meetings,
papers, files, agenda items, consultations), then fetches all of them ``--rounds`` times with
each client, alternating, and prints the process CPU per page (the server runs in its own
process, so its work is not counted)::

    python bench/http_client.py [--scale 0.3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BenchServer

from ris_connector.http.client import HttpClient

LISTS = ("meeting", "paper", "file", "agendaItem", "consultation")


def main() -> None:
    """Time both clients over the same pages and print ms of CPU per page."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server = BenchServer(args.scale, 100, 0.0)
    try:
        session = requests.Session()
        body = session.get(session.get(server.url).json()["body"]).json()["data"][0]
        urls: list[str] = []
        for url in (body[key] for key in LISTS):
            while url:
                urls.append(url)
                url = session.get(url).json().get("links", {}).get("next")
        size = sum(len(session.get(u).content) for u in urls) / len(urls)
        print(f"{len(urls)} pages of {size / 1000:.0f} KB on average")
        for _ in range(args.rounds):
            started = time.process_time()
            for url in urls:
                session.get(url).content  # noqa: B018 - the body is read, as a client must
            bare = (time.process_time() - started) / len(urls) * 1e3
            with HttpClient(server.url) as client:
                started = time.process_time()
                for url in urls:
                    client.get(url)
                ours = (time.process_time() - started) / len(urls) * 1e3
            print(f"requests session {bare:.3f} ms/page, HttpClient {ours:.3f} ms/page")
    finally:
        server.close()


if __name__ == "__main__":
    main()
