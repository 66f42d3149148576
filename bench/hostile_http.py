"""Wall time and peak memory of the hostile HTTP cases of issue 14, for one or two code trees.

Servers (slow, Retry-After, huge POST answers, SOAP with huge answers, nested imports, huge
faults) run in this process; each case runs in a fresh child process that imports
ris_connector from the tree given (``PYTHONPATH``), so a tree's peak RSS is the client's only.

    python bench/hostile_http.py                          # this tree
    python bench/hostile_http.py --tree main=/tmp/main --tree branch=.   # before/after table

Sizes are scaled down from the issue's reports (1.5 GB, 77 MB, 50 MB) by ``--scale``
(default 1/3 for the POST answers; the SOAP answer is 20 MB, about 47,000 meetings), and the
long waits run with shortened settings (noted per case) so that the old code finishes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: case -> (what it does, settings noted in the table)
CASES: dict[str, str] = {
    "slow-url": "GET, headers after 60 s; read_timeout 2, deadline 5, 5 attempts, backoff 1 s",
    "retry-after": "GET, always 429 Retry-After: 99999999; max_retry_after 10 (default 300 before, 120 now)",
    "webhook-huge": "webhook POST answered 200 with {post_mb} MB",
    "mainserver-huge": "Smart Village GraphQL answered 200 with {post_mb} MB",
    "soap-answer": "SOAP answer of {soap_mb:.0f} MB ({meetings} meetings)",
    "soap-imports": "WSDL importing a chain of 250 nested XSDs",
    "soap-fault": "SOAP fault with a 50 MB fault string",
    "get-huge": "GET of a 1 GB chunked body, max_bytes default (100 MiB)",
}


# -- the child: one case, then one JSON line --------------------------------------------------------


def _child(case: str, urls: dict[str, str]) -> dict[str, Any]:
    from ris_connector.http import HttpClient, HttpSettings

    outcome = "ok"
    try:
        if case == "slow-url":
            settings = HttpSettings(read_timeout=2, deadline=5, max_attempts=5, backoff_initial=1)
            with HttpClient(urls["faulty"], settings) as client:
                client.get(urls["faulty"] + "/slow-headers/60")
        elif case == "retry-after":
            with HttpClient(urls["faulty"], HttpSettings(max_retry_after=10)) as client:
                client.get(urls["faulty"] + "/retry-after-always/99999999")
        elif case == "webhook-huge":
            from ris_connector.feed.consumer import FeedEvent
            from ris_connector.feed.webhook import WebhookSender
            from ris_connector.store import ChangeEvent

            change = ChangeEvent(1, "2024-05-01T10:00:00Z", "s", 1, "created", "Meeting", "urn:ris:s:Meeting:1", [])
            WebhookSender(urls["post"] + "/hook").send(FeedEvent(change))
        elif case == "mainserver-huge":
            from ris_connector.sinks.smartvillage import MainserverClient

            MainserverClient(urls["post"], client_id="i", client_secret="s").execute("mutation { x }", {}, what="e")
        elif case.startswith("soap-"):
            outcome = _soap(urls[case])
        elif case == "get-huge":
            with HttpClient(urls["faulty"], HttpSettings(max_attempts=1)) as client:
                client.get(urls["faulty"] + "/big-chunked/1000000000")
    except BaseException as exc:  # the outcome is what the bench reports
        outcome = f"{type(exc).__name__}: {str(exc)[:160]}"
    return {"outcome": outcome}


def _soap(url: str) -> str:
    import tempfile
    from datetime import datetime, timezone

    from ris_connector.clock import FixedClock
    from ris_connector.config import source_from_mapping
    from ris_connector.store import SQLiteStore
    from ris_connector.sync import run_source

    source = source_from_mapping(
        {"name": "sd", "adapter": "soap", "mapping": "sitzungsdienst", "url": url, "http": {"max_bytes": 10**9}}
    )
    with tempfile.TemporaryDirectory() as folder, SQLiteStore(Path(folder) / "b.db") as store:
        report = run_source(source, store, clock=FixedClock(datetime(2024, 4, 10, 8, 0, tzinfo=timezone.utc)))
    errors = " | ".join(report.errors)
    return f"{report.status}, {report.total('created')} created; error text {len(errors):,} chars: {errors[:120]}"


def _peak_rss_mb() -> float:
    """This process's peak resident memory since exec (VmHWM; ru_maxrss would include the
    parent's memory at fork time)."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the parent: servers, children, the table -------------------------------------------------------


def _servers(post_bytes: int, meetings: int) -> tuple[dict[str, str], list[Callable[[], None]], float]:
    from tests.support.faulty_server import FaultyServer
    from tests.support.hostile_post import HostilePostServer
    from tests.support.soap_server import SoapServer

    faulty = FaultyServer().start()
    post = HostilePostServer().__enter__()
    big = SoapServer().start()
    first = big.data["meetings"][0]
    big.data["meetings"] = [dict(first, id=n, titel=f"Sitzung {n} des Ausschusses") for n in range(meetings)]
    big.data["agendas"] = {}
    chain = SoapServer(import_chain=250).start()
    fault = SoapServer(fault_text="Anmeldung fehlgeschlagen\n" + "x" * 50_000_000).start()
    envelope = (
        b'<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><SitzungenImZeitraum>'
        b"<von>2022-01-01</von><bis>2025-01-01</bis></SitzungenImZeitraum></Body></Envelope>"
    )
    soap_mb = len(big.answer(envelope, None)[1]) / 1e6
    big.calls.clear()
    urls = {
        "faulty": faulty.base_url,
        "post": post.url(f"/big-{post_bytes}"),
        "soap-answer": big.wsdl_url,
        "soap-imports": chain.wsdl_url,
        "soap-fault": fault.wsdl_url,
    }
    stops = [faulty.stop, lambda: post.__exit__(None, None, None), big.stop, chain.stop, fault.stop]
    return urls, stops, soap_mb


def _run(tree: Path, case: str, urls: dict[str, str]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", case, "--urls", json.dumps(urls)],
        env=env,
        capture_output=True,
        text=True,
        cwd=str(tree),
        timeout=3600,
    )
    seconds = time.monotonic() - started
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    result: dict[str, Any] = json.loads(lines[-1]) if lines else {"outcome": f"exit {proc.returncode}"}
    if "Traceback" in proc.stderr and result.get("outcome") == "ok":
        result["outcome"] = "traceback on stderr"
    result["seconds"] = seconds
    result["stderr_bytes"] = len(proc.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", action="append", default=[], help="NAME=PATH of a checkout (repeatable)")
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="only these cases")
    parser.add_argument("--post-mb", type=int, default=500, help="size of the huge POST answers (MB)")
    parser.add_argument("--meetings", type=int, default=47_000, help="meetings in the large SOAP answer")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--urls", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = _child(args.child, json.loads(args.urls))
        result["peak_rss_mb"] = _peak_rss_mb()
        print(json.dumps(result))
        return
    trees = [t.split("=", 1) for t in args.tree] or [["this", str(ROOT)]]
    urls, stops, soap_mb = _servers(args.post_mb * 1_000_000, args.meetings)
    try:
        print("| case | settings | tree | wall s | peak RSS MB | outcome |")
        print("| --- | --- | --- | ---: | ---: | --- |")
        for case in args.case or list(CASES):
            what = CASES[case].format(post_mb=args.post_mb, soap_mb=soap_mb, meetings=args.meetings)
            for name, path in trees:
                r = _run(Path(path).resolve(), case, urls)
                outcome = r["outcome"].replace("|", "/").replace("\n", " ")
                print(
                    f"| {case} | {what} | {name} | {r['seconds']:.1f} | {r['peak_rss_mb']:.0f} | {outcome} |"
                    if "peak_rss_mb" in r
                    else f"| {case} | {what} | {name} | {r['seconds']:.1f} | - | {outcome} |",
                    flush=True,
                )
    finally:
        for stop in stops:
            stop()


if __name__ == "__main__":
    main()
