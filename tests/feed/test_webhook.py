"""Webhook delivery against a real receiver on 127.0.0.1 that fails sometimes."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ris_connector.cli import main
from ris_connector.feed import Consumer
from ris_connector.feed.webhook import WebhookSender
from ris_connector.http.outbound import RetryPolicy
from ris_connector.store import SQLiteStore
from tests.support.appchanges import make_app_changes, start_app_server
from tests.support.ristest import OParlFactory, sync
from tests.support.webhook_receiver import FlakyReceiver

SECRET = b"s3cr3t-for-tests-only"
FAST = RetryPolicy(max_attempts=12, backoff_initial=0.01, backoff_max=0.05, read_timeout=0.5, connect_timeout=2)


@pytest.fixture
def receiver() -> Iterator[Callable[..., FlakyReceiver]]:
    started: list[FlakyReceiver] = []

    def start(**kwargs: Any) -> FlakyReceiver:
        r = FlakyReceiver(secret=SECRET, **kwargs).start()
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()


def test_every_event_arrives_in_order_per_record_signed(
    oparl_server: OParlFactory, store: SQLiteStore, receiver: Callable[..., FlakyReceiver]
) -> None:
    server = start_app_server(oparl_server)
    sync(server, store)
    make_app_changes(server)
    sync(server, store)
    expected = [e.seq for e in store.changes()]

    hook = receiver(fail_rate=0.2, stall_at=(5,), drop_at=(9, 30))
    result = WebhookSender(hook.url, secret=SECRET, policy=FAST).push(Consumer(store, "hook"))
    assert result.error is None
    assert result.delivered == len(expected) and result.cursor == expected[-1]
    assert hook.answers["500"] > 0 and hook.answers["drop"] == 2 and hook.answers["stall"] == 1

    accepted = [d for d in hook.deliveries if d.accepted]
    assert all(d.signature_ok for d in hook.deliveries)
    # Every event arrived.
    assert sorted({d.seq for d in accepted}) == expected
    # In order per record (first arrival of each event), and globally as well.
    first: dict[str, int] = {}
    for d in accepted:
        first.setdefault(d.key, d.seq)
    per_record: dict[str, list[int]] = defaultdict(list)
    for d in accepted:
        if first.get(d.key) == d.seq and d.seq not in per_record[d.record]:
            per_record[d.record].append(d.seq)
    assert all(seqs == sorted(seqs) for seqs in per_record.values())
    # At least once: the stalled delivery came twice, with the same key and the same body.
    by_key: dict[str, list[bytes]] = defaultdict(list)
    for d in accepted:
        by_key[d.key].append(d.body)
    duplicates = {k: v for k, v in by_key.items() if len(v) > 1}
    assert duplicates
    assert all(len(set(bodies)) == 1 for bodies in duplicates.values())
    # The derived notifications travel with their events.
    kinds = {n["kind"] for d in accepted for n in json.loads(d.body)["notifications"]}
    assert kinds == {
        "meeting.cancelled",
        "meeting.moved",
        "meeting.relocated",
        "meeting.invitation_published",
        "meeting.protocol_published",
        "paper.created",
    }
    # Nothing is left; a second push sends nothing.
    again = WebhookSender(hook.url, secret=SECRET, policy=FAST).push(Consumer(store, "hook"))
    assert again.delivered == 0 and again.error is None


def test_cli_push_stops_at_a_refusal_and_resumes(
    oparl_server: OParlFactory,
    store: SQLiteStore,
    receiver: Callable[..., FlakyReceiver],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = oparl_server()
    sync(server, store)
    total = sum(1 for _ in store.changes())
    hook = receiver(fail_rate=0.0, refuse_seq=40)
    monkeypatch.setenv("RIS_HOOK_SECRET", SECRET.decode())
    args = ["-vv", "push", "--db", store.path, "--url", hook.url, "--secret-env", "RIS_HOOK_SECRET", "--json"]

    assert main(args) == 3
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["delivered"] == 39 and report["cursor"] == 39 and "HTTP 422" in report["error"]
    assert SECRET.decode() not in out + err
    assert Consumer(store, "webhook").cursor == 39

    hook.refuse_seq = None
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["delivered"] == total - 39 and report["cursor"] == total
    assert sorted({d.seq for d in hook.deliveries}) == list(range(1, total + 1))
    assert all(d.signature_ok for d in hook.deliveries)


def test_cli_push_needs_the_secret_it_names(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("RIS_NO_SUCH_SECRET", raising=False)
    args = ["push", "--db", store.path, "--url", "http://127.0.0.1:9/hook", "--secret-env", "RIS_NO_SUCH_SECRET"]
    assert main(args) == 2
    assert "RIS_NO_SUCH_SECRET" in capsys.readouterr().err
