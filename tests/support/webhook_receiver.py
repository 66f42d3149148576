"""A webhook receiver on 127.0.0.1 (a LocalServer) that fails sometimes: 500s, a stall past the
timeout, dropped connections."""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from ris_connector.feed.webhook import verify
from ris_connector.testing import LocalServer, Reply, Request, delay, drop


@dataclass
class Delivery:
    """One request the receiver read completely."""

    key: str
    seq: int
    record: str
    body: bytes
    signature_ok: bool
    accepted: bool


@dataclass
class FlakyReceiver:
    """Counts requests from 1. Those numbered in ``drop_at`` are read and the connection dropped;
    those in ``stall_at`` are accepted but answered only after ``stall_seconds`` (the sender has
    given up by then, so it sends them again); others fail with 500 at ``fail_rate``; the event
    ``refuse_seq`` gets a 422 (permanent); the rest are accepted with 200."""

    secret: bytes
    fail_rate: float = 0.2
    seed: int = 7
    stall_at: tuple[int, ...] = ()
    stall_seconds: float = 1.0
    drop_at: tuple[int, ...] = ()
    refuse_seq: int | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    requests: int = 0
    answers: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._server = LocalServer({"/hook": self._answer}, name="webhook-receiver")

    def start(self) -> FlakyReceiver:
        self._server.start()
        return self

    def _answer(self, request: Request) -> Reply:
        body = request.body
        ok = verify(self.secret, request.header("X-RIS-Timestamp", ""), body, request.header("X-RIS-Signature", ""))
        with self._lock:
            self.requests += 1
            n = self.requests
            fail = self._rng.random() < self.fail_rate
        data: dict[str, Any] = json.loads(body)
        key = request.header("X-RIS-Idempotency-Key", "")
        assert key == data["idempotencyKey"]
        seq = int(data["event"]["seq"])
        if n in self.drop_at:
            # Read, even recorded, but the answer never comes: the sender must retry.
            self._record(Delivery(key, seq, data["event"]["id"], body, ok, accepted=False), "drop")
            return drop()
        if n in self.stall_at:
            self._record(Delivery(key, seq, data["event"]["id"], body, ok, accepted=True), "stall")
            return delay(self.stall_seconds, Reply.json({}))  # accepted, but too late for the sender
        if fail:
            self._record(None, "500")
            return Reply.json({}, 500)
        if self.refuse_seq == seq:
            self._record(None, "422")
            return Reply.json({}, 422)
        self._record(Delivery(key, seq, data["event"]["id"], body, ok, accepted=True), "200")
        return Reply.json({}, 200 if ok else 401)

    def _record(self, delivery: Delivery | None, answer: str) -> None:
        with self._lock:
            if delivery is not None:
                self.deliveries.append(delivery)
            self.answers[answer] = self.answers.get(answer, 0) + 1

    @property
    def url(self) -> str:
        return self._server.url("/hook")

    def stop(self) -> None:
        self._server.stop()
