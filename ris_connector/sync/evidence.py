"""Deletes need evidence per list: how many records each list delivered, run after run.

A full run deletes what the source no longer lists. When one list answers ``200 {"data": []}``
that would delete everything it used to hold, although the source lost nothing. So the engine
counts the records each list (stream) delivers, per type, between its checkpoints, and keeps
the counts of the last full run in the store (key-value namespace ``sync.list-sizes``, key the
source), written in the transaction of that run's last deletes. A list that now delivers none
of a type it held, or shrank by more than ``max_delete_fraction`` of its own last size,
withholds the absence deletes of that type. The last size stays the baseline, so the next run
decides again: a list that is back deletes only what really went; a shrink seen by two full
runs in a row (and not to zero) is taken as real.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: The key-value namespace of the list sizes (one value per source).
SIZES_NAMESPACE = "sync.list-sizes"


@dataclass(frozen=True)
class Withheld:
    """A list whose size is no evidence for deleting absent records of one type."""

    list: str
    type: str
    last: int
    now: int

    def to_json_dict(self, absent: int) -> dict[str, Any]:
        """The report entry, with how many absent records of the type were kept."""
        return {"list": self.list, "type": self.type, "last": self.last, "now": self.now, "absent": absent}


def _sizes(value: Any) -> dict[str, dict[str, int]]:
    """stream -> type -> size from stored state, ignoring anything malformed."""
    out: dict[str, dict[str, int]] = {}
    if isinstance(value, Mapping):
        for stream, types in value.items():
            if isinstance(types, Mapping):
                out[str(stream)] = {str(t): n for t, n in types.items() if type(n) is int and n >= 0}
    return out


@dataclass
class ListSizes:
    """Records per list and type: the baseline of earlier full runs and this run's counts."""

    last: dict[str, dict[str, int]] = field(default_factory=dict)
    """stream -> type -> size at the last full run that accepted it."""
    refused: dict[str, dict[str, int]] = field(default_factory=dict)
    """stream -> type -> the shrunken size the last full run did not accept."""
    now: dict[str, Counter[str]] = field(default_factory=dict)
    _span: Counter[str] = field(default_factory=Counter)

    @classmethod
    def load(cls, text: str | None) -> ListSizes:
        """From the committed value (None on a source's first full run or after an upgrade)."""
        try:
            state = json.loads(text) if text else {}
        except ValueError:
            state = {}
        if not isinstance(state, dict):
            state = {}
        return cls(last=_sizes(state.get("lists")), refused=_sizes(state.get("refused")))

    def record(self, type_name: str) -> None:
        """One record delivered in the list being read."""
        self._span[type_name] += 1

    def checkpoint(self, stream: str, type_name: str | None = None, size: int | None = None) -> None:
        """The list ``stream`` is complete: ``size`` entries of ``type_name`` where the adapter
        counted them, else what was delivered since the last checkpoint (of ``type_name`` only,
        where the list names the type of its entries)."""
        if type_name is None:
            span = self._span
        else:
            span = Counter({type_name: self._span[type_name] if size is None else size})
        self.now.setdefault(stream, Counter()).update(span)
        self._span = Counter()

    def lists_done(self) -> None:
        """Records after the last list (fetched one by one) belong to no list."""
        self._span = Counter()

    def judge(self, fraction: float) -> list[Withheld]:
        """The (list, type) pairs that withhold deletes: emptied, or shrunk beyond ``fraction``
        and not confirmed by the run before. A list not read at all counts as emptied."""
        if fraction >= 1:
            return []
        out = []
        for stream, types in sorted(self.last.items()):
            counts = self.now.get(stream, Counter())
            for type_name, last in sorted(types.items()):
                now = counts[type_name]
                if last <= 0 or (last - now) / last <= fraction:
                    continue
                confirmed = now > 0 and self.refused.get(stream, {}).get(type_name, 0) > 0
                if not confirmed:
                    out.append(Withheld(stream, type_name, last, now))
        return out

    def state_after(self, withheld: list[Withheld]) -> str:
        """The state to commit: this run's sizes, except withheld pairs, whose baseline stays."""
        lists = {stream: dict(types) for stream, types in self.last.items()}
        for stream, counts in self.now.items():
            lists.setdefault(stream, {}).update({t: n for t, n in counts.items() if n})
            for type_name in list(lists[stream]):
                if type_name not in counts:
                    lists[stream][type_name] = 0
        refused: dict[str, dict[str, int]] = {}
        for w in withheld:
            lists.setdefault(w.list, {})[w.type] = w.last
            refused.setdefault(w.list, {})[w.type] = w.now
        return json.dumps({"lists": lists, "refused": refused}, sort_keys=True)
