"""A named reader of the change feed with a durable cursor: at-least-once delivery."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from ris_connector.errors import ConfigError
from ris_connector.feed.notifications import Deriver, Notification
from ris_connector.store import ChangeEvent, Store

#: kv namespace holding each consumer's cursor (the last acknowledged sequence number).
CURSOR_NAMESPACE = "feed.cursor"
_PAGE = 500


@dataclass(frozen=True)
class FeedEvent:
    """A change event as a consumer sees it: the raw change, its key and what it means for an app."""

    change: ChangeEvent
    notifications: list[Notification] = field(default_factory=list)

    @property
    def seq(self) -> int:
        """Position in the feed."""
        return self.change.seq

    @property
    def idempotency_key(self) -> str:
        """Stable key; a redelivered event carries the same one."""
        return f"{self.change.source}:{self.change.seq}:{self.change.kind}"

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON body the webhook posts."""
        return {
            "idempotencyKey": self.idempotency_key,
            "event": self.change.to_json_dict(),
            "notifications": [n.to_json_dict() for n in self.notifications],
        }


class Consumer:
    """Reads the feed after its cursor; the cursor moves only when the consumer acknowledges.

    ``start="end"`` makes a new consumer begin at the current end of the feed instead of
    replaying the whole history. Events must be acknowledged in order.
    """

    def __init__(
        self,
        store: Store,
        name: str,
        *,
        source: str | None = None,
        start: Literal["beginning", "end"] = "beginning",
    ) -> None:
        if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise ConfigError(f"consumer name {name!r}: use letters, digits, . - _")
        self.store = store
        self.name = name
        self.source = source
        self._deriver = Deriver(store)
        if store.kv_get(CURSOR_NAMESPACE, name) is None and start == "end":
            last = 0
            for event in store.changes(after=0):
                last = event.seq
            store.kv_set(CURSOR_NAMESPACE, name, str(last))

    @property
    def cursor(self) -> int:
        """Sequence number of the last acknowledged event (0: none)."""
        value = self.store.kv_get(CURSOR_NAMESPACE, self.name)
        return int(value) if value else 0

    def pending(self, limit: int | None = None) -> Iterator[FeedEvent]:
        """Events after the cursor, oldest first, with their notifications; moves nothing."""
        after, left = self.cursor, limit
        while left is None or left > 0:
            # Read a page into memory first, so that acks between yields never interleave
            # with an open read cursor of the store.
            size = _PAGE if left is None else min(_PAGE, left)
            page = list(self.store.changes(after=after, limit=size, source=self.source))
            for change in page:
                yield FeedEvent(change, self._deriver.derive(change))
            if len(page) < size:
                return
            after = page[-1].seq
            if left is not None:
                left -= len(page)

    def ack(self, event: FeedEvent | ChangeEvent | int) -> None:
        """Mark ``event`` (and everything before it) as handled; committed at once."""
        seq = event if isinstance(event, int) else event.seq
        if seq > self.cursor:
            self.store.kv_set(CURSOR_NAMESPACE, self.name, str(seq))

    commit = ack
