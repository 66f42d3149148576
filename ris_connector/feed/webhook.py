"""Deliver the change feed to a webhook: signed JSON POSTs, retried, cursor moved after 2xx.

Each change event is one POST with its notifications. Headers:

* ``X-RIS-Timestamp``: Unix seconds of this attempt;
* ``X-RIS-Signature``: ``sha256=<hex>``, HMAC-SHA256 with the shared secret over
  ``<timestamp>.<raw body>`` (binding the timestamp lets receivers refuse replays);
* ``X-RIS-Idempotency-Key`` (also ``Idempotency-Key``): the same for every redelivery.

Events go out one at a time in feed order, so the order per record is kept; a refused event
stops the run without moving the cursor past it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from ris_connector.errors import DeliveryError, redact_url
from ris_connector.feed.consumer import Consumer, FeedEvent
from ris_connector.http.outbound import RetryPolicy, post

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-RIS-Signature"
TIMESTAMP_HEADER = "X-RIS-Timestamp"
KEY_HEADER = "X-RIS-Idempotency-Key"


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is valid for ``body`` at ``timestamp`` (for receivers and tests)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass
class PushResult:
    """What one push run did."""

    delivered: int = 0
    notifications: int = 0
    cursor: int = 0
    error: str | None = None


class WebhookSender:
    """POSTs feed events to ``url``; ``secret`` signs them (no signature without one)."""

    def __init__(
        self,
        url: str,
        *,
        secret: bytes | None = None,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self._secret = secret
        self.policy = policy or RetryPolicy()
        self.session = session or requests.Session()
        self._clock = clock

    def body(self, event: FeedEvent) -> bytes:
        """The exact bytes posted for ``event``."""
        return json.dumps(event.to_json_dict(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def send(self, event: FeedEvent) -> None:
        """Deliver one event; returns after a 2xx, raises DeliveryError otherwise."""
        body = self.body(event)

        def headers() -> dict[str, str]:
            ts = str(int(self._clock()))
            h = {
                "Content-Type": "application/json; charset=utf-8",
                TIMESTAMP_HEADER: ts,
                KEY_HEADER: event.idempotency_key,
                "Idempotency-Key": event.idempotency_key,
            }
            if self._secret is not None:
                h[SIGNATURE_HEADER] = sign(self._secret, ts, body)
            return h

        what = f"event {event.idempotency_key}"
        # Only the status matters: the answer is not read, so its size costs nothing.
        response = post(self.session, self.url, body, headers=headers, policy=self.policy, what=what, read_answer=False)
        status = response.status_code
        if not 200 <= status < 300:
            raise DeliveryError(
                f"{what}: the webhook answered HTTP {status}", url=self.url, status=status, retryable=False
            )

    def push(self, consumer: Consumer, *, limit: int | None = None) -> PushResult:
        """Deliver every pending event of ``consumer`` in order, acknowledging each after a 2xx."""
        result = PushResult(cursor=consumer.cursor)
        for event in consumer.pending(limit=limit):
            try:
                self.send(event)
            except DeliveryError as exc:
                result.error = str(exc)
                log.warning("push to %s stopped at seq %d: %s", redact_url(self.url), event.seq, exc)
                break
            consumer.ack(event)
            result.delivered += 1
            result.notifications += len(event.notifications)
            result.cursor = event.seq
        return result
