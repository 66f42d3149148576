"""Promise: one request takes at most its ``deadline``, and no server can make it wait longer.

``deadline`` is the total for a request: every attempt, redirect, retry wait and body read
together (it was per attempt: one slow URL took 25 minutes). A ``Retry-After`` beyond
``max_retry_after``, or one that would pass the deadline, fails the request at once instead
of sleeping. The same holds for outgoing POSTs (webhooks, the Smart Village mainserver).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from ris_connector import errors
from ris_connector.errors import DeliveryError
from ris_connector.feed.consumer import FeedEvent
from ris_connector.feed.webhook import WebhookSender
from ris_connector.http import HttpClient, HttpSettings
from ris_connector.http.outbound import RetryPolicy
from ris_connector.store import ChangeEvent
from tests.support.faulty_server import FaultyServer
from tests.support.hostile_post import HostilePostServer


class FakeSleep:
    """Records sleeps instead of sleeping (a Retry-After of 99999999 s must not be waited out)."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
def post_target() -> Iterator[HostilePostServer]:
    with HostilePostServer() as srv:
        yield srv


def _event() -> FeedEvent:
    change = ChangeEvent(1, "2024-05-01T10:00:00+00:00", "s", 1, "created", "Meeting", "urn:ris:s:Meeting:1", [])
    return FeedEvent(change)


def test_a_slow_server_gets_one_deadline_for_all_attempts(home: FaultyServer) -> None:
    settings = HttpSettings(read_timeout=1.0, deadline=2.5, max_attempts=10, backoff_initial=0.2, backoff_max=0.5)
    started = time.monotonic()
    with (
        HttpClient(home.base_url, settings) as client,
        pytest.raises(errors.DeadlineExceeded, match=r"deadline of 2\.5 s"),
    ):
        client.get(home.url("/slow-headers/5"))
    assert home.hits("/slow-headers") <= 3  # per attempt, all 10 attempts were made (about 14 s)
    assert time.monotonic() - started < 10  # a hang check, not a timing


def test_a_trickled_body_is_cut_at_the_deadline_and_not_tried_again(home: FaultyServer) -> None:
    settings = HttpSettings(read_timeout=5.0, deadline=1.0, max_attempts=5, backoff_initial=0.01)
    with HttpClient(home.base_url, settings) as client, pytest.raises(errors.DeadlineExceeded):
        client.get(home.url("/trickle/10/0.05/100000"))
    assert home.hits("/trickle") == 1


def test_retry_after_beyond_max_retry_after_fails_at_once(home: FaultyServer) -> None:
    sleep = FakeSleep()
    token = uuid.uuid4().hex[:8]
    client = HttpClient(home.base_url, HttpSettings(), sleep=sleep)  # default max_retry_after: 120 s
    refused = r"Retry-After of 1e\+08 s exceeds max_retry_after \(120 s\)"
    with client, pytest.raises(errors.RateLimited, match=refused):
        client.get(home.url(f"/retry-after/99999999/{token}"))
    assert sleep.sleeps == [] and home.hits(f"/retry-after/99999999/{token}") == 1


def test_retry_after_that_would_pass_the_deadline_fails_at_once(home: FaultyServer) -> None:
    sleep = FakeSleep()
    token = uuid.uuid4().hex[:8]
    client = HttpClient(home.base_url, HttpSettings(deadline=30), sleep=sleep)
    with client, pytest.raises(errors.DeadlineExceeded, match=r"would pass while waiting 100\.0 s"):
        client.get(home.url(f"/retry-after/100/{token}"))
    assert sleep.sleeps == []


def test_a_webhook_asking_to_retry_after_ages_gives_up_at_once(post_target: HostilePostServer) -> None:
    policy = RetryPolicy(max_attempts=3, max_retry_after=1.0)
    sender = WebhookSender(post_target.url("/retry-after-99999999/hook"), policy=policy)
    with pytest.raises(DeliveryError, match="exceeds max_retry_after") as info:
        sender.send(_event())
    assert info.value.retryable  # the next push run tries again
    assert post_target.hits("/retry-after-99999999/hook") == 1


def test_a_slow_webhook_gets_one_deadline_for_all_attempts(post_target: HostilePostServer) -> None:
    policy = RetryPolicy(max_attempts=10, read_timeout=1.0, deadline=2.5, backoff_initial=0.2, backoff_max=0.5)
    sender = WebhookSender(post_target.url("/slow-5/hook"), policy=policy)
    with pytest.raises(DeliveryError, match=r"deadline of 2\.5 s"):
        sender.send(_event())
    assert post_target.hits("/slow-5/hook") <= 3
