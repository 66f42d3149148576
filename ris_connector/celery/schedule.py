"""The beat schedule: one entry per configured source, at start and then every ``interval``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from ris_connector.config import SourceConfig

#: The Celery name of the task that syncs one source.
TASK_NAME = "ris_connector.run_source"

#: The "last run" of an entry beat has never sent: long ago, so a new entry is due at once.
NEVER_SENT = datetime(2000, 1, 1, tzinfo=timezone.utc)


def beat_schedule(sources: Iterable[SourceConfig]) -> dict[str, dict[str, Any]]:
    """Celery ``beat_schedule`` entries: sync each source at start, then every ``interval`` seconds.

    Beat would otherwise send an entry's first task one interval after it starts (it takes
    "now" as the last run of an entry it has never seen): with ``interval = "2h"`` a new fleet
    would wait two hours for its first sync. Each entry therefore says it was last sent long
    ago (``last_run_at``), which beat uses only for entries its schedule file does not hold
    yet: a new fleet, or a source added to the file, syncs at once, while a restarted beat keeps
    the times it stored and does not sync every source again.

    A tick expires when the next one is due, so a fleet that falls behind drops stale ticks
    instead of piling them up in the broker.
    """
    return {
        f"sync {s.name}": {
            "task": TASK_NAME,
            "schedule": timedelta(seconds=s.interval),
            "args": (s.name,),
            "options": {"expires": s.interval},
            "last_run_at": NEVER_SENT,
        }
        for s in sources
    }
