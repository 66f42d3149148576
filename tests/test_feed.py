"""The change feed for apps: durable cursor, at-least-once, derived notifications."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ris_connector.feed import Consumer, NotificationKind
from ris_connector.store import SQLiteStore
from tests.support.appchanges import make_app_changes, start_app_server
from tests.support.ristest import OParlFactory, sync


def test_initial_load_gives_raw_events_only_and_changes_give_notifications(
    oparl_server: OParlFactory, store: SQLiteStore
) -> None:
    server = start_app_server(oparl_server)
    sync(server, store)
    consumer = Consumer(store, "app")
    first = list(consumer.pending())
    assert len(first) == sum(1 for _ in store.changes()) > 500
    assert all(not e.notifications for e in first), "the initial load is history, not news"
    consumer.ack(first[-1])

    changes = make_app_changes(server)
    sync(server, store)
    events = list(consumer.pending())
    assert events and all(e.seq > first[-1].seq for e in events)
    found = {(n.kind, n.record_id): n for e in events for n in e.notifications}
    sid = lambda server_id: store.get(server_id).id  # noqa: E731  (store id of a server id)
    assert set(found) == {
        (NotificationKind.MEETING_CANCELLED, sid(changes.cancelled)),
        (NotificationKind.MEETING_MOVED, sid(changes.moved)),
        (NotificationKind.MEETING_RELOCATED, sid(changes.relocated)),
        (NotificationKind.INVITATION_PUBLISHED, sid(changes.invited)),
        (NotificationKind.PROTOCOL_PUBLISHED, sid(changes.protocolled)),
        (NotificationKind.PAPER_CREATED, sid(changes.paper)),
    }
    moved = found[(NotificationKind.MEETING_MOVED, sid(changes.moved))]
    assert moved.when == changes.new_start
    assert datetime.fromisoformat(moved.details["start"][1]) == changes.new_start
    relocated = found[(NotificationKind.MEETING_RELOCATED, sid(changes.relocated))]
    old_place, new_place = relocated.details["location"]
    assert old_place and new_place and old_place != new_place
    paper = found[(NotificationKind.PAPER_CREATED, sid(changes.paper))]
    assert paper.title.startswith("2026/0815 Antrag: Tempo 30")
    cancelled = found[(NotificationKind.MEETING_CANCELLED, sid(changes.cancelled))]
    assert cancelled.title and cancelled.when is not None
    # Keys are unique and stable.
    keys = [n.idempotency_key for e in events for n in e.notifications]
    assert len(keys) == len(set(keys))
    again = {n.idempotency_key for e in consumer.pending() for n in e.notifications}
    assert again == set(keys)


def test_cursor_is_durable_and_moves_only_on_ack(oparl_server: OParlFactory, tmp_path: Path) -> None:
    server = oparl_server()
    path = tmp_path / "feed.db"
    with SQLiteStore(path) as store:
        sync(server, store)
        consumer = Consumer(store, "push")
        batch = list(consumer.pending(limit=10))
        assert [e.seq for e in batch] == list(range(1, 11))
        # Not acknowledged: a second reader (or a restart) gets the same events again.
        assert [e.idempotency_key for e in consumer.pending(limit=10)] == [e.idempotency_key for e in batch]
        consumer.ack(batch[4])
        assert consumer.cursor == 5
        consumer.ack(batch[2])  # an older ack never moves the cursor back
        assert consumer.cursor == 5
        total = sum(1 for _ in store.changes())
    # A new process: the cursor survived; another consumer name has its own cursor.
    with SQLiteStore(path) as store:
        consumer = Consumer(store, "push")
        rest = list(consumer.pending())
        assert rest[0].seq == 6 and len(rest) == total - 5
        assert rest[0].idempotency_key == f"test:6:{rest[0].change.kind}"
        assert len(list(Consumer(store, "other").pending())) == total
        late = Consumer(store, "late", start="end")
        assert list(late.pending()) == [] and late.cursor == total
