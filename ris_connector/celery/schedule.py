"""The beat schedule: one entry per configured source, every ``interval``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from ris_connector.config import SourceConfig

#: The Celery name of the task that syncs one source.
TASK_NAME = "ris_connector.run_source"


def beat_schedule(sources: Iterable[SourceConfig]) -> dict[str, dict[str, Any]]:
    """Celery ``beat_schedule`` entries: sync each source every ``interval`` seconds.

    A tick expires when the next one is due, so a fleet that falls behind drops stale ticks
    instead of piling them up in the broker.
    """
    return {
        f"sync {s.name}": {
            "task": TASK_NAME,
            "schedule": timedelta(seconds=s.interval),
            "args": (s.name,),
            "options": {"expires": s.interval},
        }
        for s in sources
    }
