"""The change feed for apps: a durable consumer cursor, derived notifications, webhook delivery."""

from __future__ import annotations

from ris_connector.feed.consumer import CURSOR_NAMESPACE, Consumer, FeedEvent
from ris_connector.feed.notifications import Deriver, Notification, NotificationKind

__all__ = ["CURSOR_NAMESPACE", "Consumer", "Deriver", "FeedEvent", "Notification", "NotificationKind"]
