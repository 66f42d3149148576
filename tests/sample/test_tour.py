"""The demo's dataset (``ris_connector.sample.tour``): the same day gives the same data, and its
program lies in the days after that day."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from ris_connector.sample.dataset import BERLIN
from ris_connector.sample.tour import PROGRAM_DAYS, tour

BASE = "http://127.0.0.1:8317/oparl/v1.1"


def _starts(day: date) -> list[date]:
    t = tour(BASE, day, scale=0.02)
    return [datetime.fromisoformat(t.dataset.get(m)["start"]).astimezone(BERLIN).date() for m in t.program]


def test_the_same_day_gives_the_same_data() -> None:
    one, two = tour(BASE, date(2026, 3, 10)), tour(BASE, date(2026, 3, 10))
    assert json.dumps(one.dataset.objects, sort_keys=True) == json.dumps(two.dataset.objects, sort_keys=True)
    assert one.program == two.program


def test_the_program_starts_tomorrow_and_follows_the_day() -> None:
    for day in (date(2026, 3, 10), date(2027, 8, 6), date(2030, 1, 1)):
        starts = _starts(day)
        assert len(starts) == len(PROGRAM_DAYS)
        assert starts[0] == day + timedelta(days=1)
        for start, days in zip(starts[1:], PROGRAM_DAYS[1:], strict=True):
            assert 0 <= (start - day).days - days <= 3 and start.weekday() <= 3  # Monday to Thursday


def test_the_council_changes_are_stamped_after_the_given_time() -> None:
    t = tour(BASE, date(2026, 3, 10))
    at = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)
    done = t.change(at)
    assert [line.split(":")[0] for line in done] == ["cancelled", "moved", "moved to Kleiner Sitzungssaal", "new paper"]
    cancelled = t.dataset.get(t.program[2])
    assert cancelled["cancelled"] is True
    assert datetime.fromisoformat(cancelled["modified"]) > at
