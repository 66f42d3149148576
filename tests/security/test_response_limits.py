"""Promise: no answer can take more memory than its limit, incoming or outgoing.

GET bodies stop at ``max_bytes`` (or a smaller per-request limit); answers to outgoing POSTs
are streamed: a webhook's answer is not read at all beyond 64 KB (only its status counts), a
mainserver answer above ``max_response_bytes`` fails with a clear error. Before, a 1.5 GB answer
was read whole (3 GB RSS). Peak memory per case: ``bench/hostile_http.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ris_connector import errors
from ris_connector.errors import DeliveryError
from ris_connector.feed.consumer import FeedEvent
from ris_connector.feed.webhook import WebhookSender
from ris_connector.http import HttpClient, HttpSettings
from ris_connector.http.outbound import RetryPolicy
from ris_connector.sinks.smartvillage import MainserverClient
from ris_connector.store import ChangeEvent
from tests.support.faulty_server import FaultyServer
from tests.support.hostile_post import HostilePostServer

HUGE = 200_000_000


@pytest.fixture
def post_target() -> Iterator[HostilePostServer]:
    with HostilePostServer() as srv:
        yield srv


def test_a_webhook_answering_200_mb_is_delivered_without_reading_them(post_target: HostilePostServer) -> None:
    change = ChangeEvent(1, "2024-05-01T10:00:00+00:00", "s", 1, "created", "Meeting", "urn:ris:s:Meeting:1", [])
    path = f"/big-{HUGE}/hook"
    WebhookSender(post_target.url(path)).send(FeedEvent(change))  # a 2xx: delivered
    assert post_target.written[path] < HUGE // 10  # the sender hung up long before the end


def test_a_mainserver_answering_too_much_fails_clearly(post_target: HostilePostServer) -> None:
    base = post_target.url(f"/big-{HUGE}")
    client = MainserverClient(base, client_id="id", client_secret="secret", policy=RetryPolicy(max_attempts=2))
    with pytest.raises(DeliveryError, match="the answer exceeds 1048576 bytes") as info:
        client.execute("mutation { x }", {}, what="event 1")
    assert not info.value.retryable
    assert post_target.hits(f"/big-{HUGE}/graphql") == 1
    assert post_target.written[f"/big-{HUGE}/graphql"] < HUGE // 10


def test_an_incoming_body_stops_at_max_bytes_and_at_a_smaller_request_limit(home: FaultyServer) -> None:
    with HttpClient(home.base_url, HttpSettings(max_bytes=1_000_000, max_attempts=1)) as client:
        with pytest.raises(errors.ResponseTooLarge, match="exceeds 1000000 bytes"):
            client.get(home.url("/big-chunked/5000000"))
        with pytest.raises(errors.ResponseTooLarge, match="exceeds 4096 bytes"):
            client.get(home.url("/big/5000"), max_bytes=4096)
        with pytest.raises(errors.ResponseTooLarge, match="exceeds 1000000 bytes"):
            client.get(home.url("/big/5000000"), max_bytes=10**12)  # never above the setting
