"""Lists that show a window of time: a record that left the window has not left the source.

Many calendar feeds (ALLRIS 4's ``SiKalAbo.ics`` among them) list only the meetings of the last
weeks and the months ahead: a meeting held in August drops out of the feed in October. Absence
from such a list is no evidence that the meeting was deleted, and announcing "deleted" for every
meeting that grew old would be false news. An adapter says which span its list covers with
``Checkpoint.covers_from``; after a full run the engine keeps the absent records that start
before it (and the records they refer to, such as their Location), counts them under
``left-window``, and deletes the rest as usual. A record absent from inside the window (a
meeting removed before it was held) is still deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any


def _start(data: Mapping[str, Any]) -> datetime | None:
    value = data.get("start")
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _strings(value: Any) -> Iterable[str]:
    """Every string inside a JSON value (the candidates for references)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for entry in value:
            yield from _strings(entry)
    elif isinstance(value, dict):
        for entry in value.values():
            yield from _strings(entry)


def outside_windows(
    unseen: list[tuple[str, str]],
    windows: Mapping[str | None, datetime],
    data_of: Callable[[list[str]], Mapping[str, Mapping[str, Any]]],
) -> set[str]:
    """The ids of ``unseen`` (id, type) records to keep: those of a type with a window (key
    None: every type) whose stored ``start`` lies before it, and the absent records they refer
    to. ``data_of`` reads stored records' data by id."""
    if not windows or not unseen:
        return set()
    candidates = [rid for rid, type_name in unseen if type_name in windows or None in windows]
    data: dict[str, Mapping[str, Any]] = dict(data_of(candidates)) if candidates else {}
    kept: set[str] = set()
    for rid, type_name in unseen:
        limit = windows.get(type_name, windows.get(None))
        start = _start(data.get(rid, {}))
        if limit is not None and start is not None and start < limit:
            kept.add(rid)
    absent = {rid for rid, _ in unseen}
    frontier = set(kept)
    while frontier:  # the Locations (and whatever else) the kept records refer to stay too
        unread = sorted(frontier - data.keys())
        if unread:
            data.update(data_of(unread))
        frontier = {ref for rid in frontier for ref in _strings(data.get(rid, {})) if ref in absent} - kept
        kept |= frontier
    return kept
