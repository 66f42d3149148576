"""A webhook receiver on 127.0.0.1 that fails sometimes: 500s, a stall past the timeout, dropped connections."""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ris_connector.feed.webhook import verify


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
        self._httpd: ThreadingHTTPServer | None = None

    def start(self) -> FlakyReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are separate writes

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                ok = verify(
                    receiver.secret,
                    self.headers.get("X-RIS-Timestamp", ""),
                    body,
                    self.headers.get("X-RIS-Signature", ""),
                )
                with receiver._lock:
                    receiver.requests += 1
                    n = receiver.requests
                    fail = receiver._rng.random() < receiver.fail_rate
                data: dict[str, Any] = json.loads(body)
                key = self.headers.get("X-RIS-Idempotency-Key", "")
                assert key == data["idempotencyKey"]
                seq = int(data["event"]["seq"])
                if n in receiver.drop_at:
                    # Read, even recorded, but the answer never comes: the sender must retry.
                    receiver._record(Delivery(key, seq, data["event"]["id"], body, ok, accepted=False), "drop")
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if n in receiver.stall_at:
                    receiver._record(Delivery(key, seq, data["event"]["id"], body, ok, accepted=True), "stall")
                    time.sleep(receiver.stall_seconds)  # accepted, but too late for the sender
                    self._answer(200)
                    return
                if fail:
                    receiver._record(None, "500")
                    self._answer(500)
                    return
                if receiver.refuse_seq == seq:
                    receiver._record(None, "422")
                    self._answer(422)
                    return
                receiver._record(Delivery(key, seq, data["event"]["id"], body, ok, accepted=True), "200")
                self._answer(200 if ok else 401)

            def _answer(self, status: int) -> None:
                payload = b"{}"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def _record(self, delivery: Delivery | None, answer: str) -> None:
        with self._lock:
            if delivery is not None:
                self.deliveries.append(delivery)
            self.answers[answer] = self.answers.get(answer, 0) + 1

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/hook"

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
