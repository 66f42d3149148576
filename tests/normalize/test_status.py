"""Meeting status from German text: a remark beside a meeting cancels it only outright."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("remark", "cancels"),
    [
        # the real SD.NET RIM calendar (tests/fixtures/real/teststadt-sdnet-ics), UID 2024104796
        (
            "Bemerkung:\nAufgrund der Abwesenheit der Verwaltungsspitze findet die Sitzung in Absprache "
            "mit der Ausschussvorsitzenden nicht statt.",
            True,
        ),
        ("Die Ratssitzung am 12.03. entfällt.", True),
        ("Der Termin wird abgesagt.", True),
        ("Die Sitzung wird nicht stattfinden.", True),
        ("TOP 5 entfällt.", False),  # one agenda item, not the meeting
        ("Eine Absage ist bis Freitag möglich.", False),
        ("Die Sitzung findet im Ratssaal statt. Nicht statt findet die Führung.", False),
        ("Link zur Tagesordnung: https://ris.example/tops/?__=abc", False),
        (None, False),
    ],
)
def test_a_remark_cancels_only_when_the_meeting_does_not_take_place(remark: str | None, cancels: bool) -> None:
    from ris_connector.normalize.status import remark_cancels

    assert remark_cancels(remark) is cancels
