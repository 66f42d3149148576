"""The OParl mapper's fast path for plain objects (adapters/oparl/plain.py) gives exactly what the
full path gives: the same records, notices, rejections and tombstones, in the same order.

Each input is mapped twice, by a mapper with the fast path and by one without
(``OParlMapper(plain=False)``), over the sample council served plain and under every quirk mode,
the real recordings, and every key of every fast type set to each of many odd values, listed
and embedded. The fast path must also be taken (a test that never reached it would prove
nothing), and it must read exactly the keys the full path reads.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ris_connector.adapters.oparl.mapper import OParlMapper
from ris_connector.adapters.oparl.plain import PLANS
from ris_connector.clock import FixedClock
from ris_connector.items import Notice, Rejected, Tombstone
from ris_connector.models import Record
from ris_connector.sample.dataset import LIST_KEYS
from ris_connector.sample.generator import generate
from ris_connector.sample.views import QUIRKS, Renderer
from tests.support.ristest import FIXTURES

BASE = "http://127.0.0.1:8765/oparl/v1.1"
Pairs = list[tuple[str | None, Any]]
"""(expected type, object as served) in the order one mapper maps them."""

#: Values each key of a fast type is set to: everything the fast path must refuse or read as
#: the full path does (spacing, placeholders, odd spellings of dates, URLs and types).
ODD: list[Any] = [
    None,
    "",
    " ",
    "-",
    "N/A",
    "None",
    "x",
    " padded",
    "padded ",
    "\u00a0no-break space",
    "soft\u00adhyphen",
    "zero\u200bwidth",
    "tab\there",
    "line\nbreak",
    "control\x01char",
    "Ärger über Straßen",
    "LONG " * 40,
    0,
    1,
    -3,
    2**63,
    2**70,
    1.5,
    float("nan"),
    True,
    False,
    [],
    {},
    ["x"],
    [" x"],
    ["", "y"],
    [1],
    [f"{BASE}/papers/1", f"{BASE}/papers/1"],
    [f"{BASE}/papers/1", "no url"],
    {"id": f"{BASE}/files/9999", "type": "https://schema.oparl.org/1.1/File"},
    [{"id": f"{BASE}/files/9998", "type": "https://schema.oparl.org/1.1/File", "name": "Anlage"}],
    f"{BASE}/meetings/1",
    f"{BASE}/meetings/1/",
    "HTTP://127.0.0.1:8765/oparl/v1.1/meetings/2",
    "https://127.0.0.1:8765/oparl/v1.1/meetings/3",
    "http://127.0.0.1:8765//oparl/v1.1/files//4.pdf",
    "http://127.0.0.1:8765/oparl/v1.1/files/5 6.pdf",
    "http://127.0.0.1:80/oparl/v1.1/files/7.pdf",
    "http://[::1/x",
    "javascript:alert(1)",
    "ftp://127.0.0.1/file.pdf",
    "https://www.govdata.de/dl-de/by-2-0",
    "Datenlizenz Deutschland",
    "2020-01-10",
    "2020-1-10",
    "10.01.2020",
    "١٢٣٤-01-10",
    "0999-01-10",
    "2020-02-30",
    "2020-01-10T10:00:00+01:00",
    "2020-01-10T10:00:00.123456+01:00",
    "2020-01-10T10:00:00",
    "2020-01-10T10:00:00Z",
    "2020-01-10T10:00:00+01::00",
    "2020-01-10 10:00:00+01:00",
    "2020-01-10T25:00:00+01:00",
    "1850-01-10T10:00:00+01:00",
    "2019-01-01T00:00:00+01:00",
    "2031-01-01T00:00:00+01:00",
    "pdf",
    ".PDF",
    "APPLICATION/PDF",
    "text",
    "true",
    "nein",
    "1",
]


def _mapper(plain: bool) -> OParlMapper:
    clock = FixedClock(datetime(2025, 1, 1, tzinfo=timezone.utc))
    return OParlMapper(source="test", tz=ZoneInfo("Europe/Berlin"), clock=clock, scheme_for={}, plain=plain)


def _comparable(item: Any) -> tuple[Any, ...]:
    if isinstance(item, Record):
        return ("record", type(item).__name__, item.model_dump(mode="json"), item.url_notes)
    if isinstance(item, Notice):
        return ("notice", item.code, item.message, item.count)
    if isinstance(item, Rejected):
        return ("rejected", item.reason, item.type, item.ref)
    if isinstance(item, Tombstone):
        return ("tombstone", item.id, item.type)
    return ("other", repr(item))


def _map(pairs: Pairs, plain: bool) -> tuple[list[list[tuple[Any, ...]]], int]:
    """Every object's items, and how many objects the fast path read."""
    mapper = _mapper(plain)
    out = []
    for expected, obj in pairs:
        url = obj.get("id") if isinstance(obj, dict) else None
        items = mapper.items(copy.deepcopy(obj), expected=expected, url=url)
        out.append([_comparable(item) for item in items])
    return out, mapper.read_plain


def _assert_same(name: str, pairs: Pairs) -> int:
    """Both mappers give the same items for ``pairs``; returns the objects read the fast way."""
    fast, read = _map(pairs, plain=True)
    full, none = _map(pairs, plain=False)
    assert none == 0
    for (expected, obj), a, b in zip(pairs, fast, full, strict=True):
        assert a == b, f"{name}: {expected} {json.dumps(obj, default=str)[:300]}"
    return read


def _served(mode: str, version: str = "1.1", scale: float = 0.01) -> Pairs:
    ds = generate(BASE, scale=scale, version=version)
    renderer = Renderer(ds, frozenset({mode} if mode else ()))
    pairs: Pairs = []
    for type_name in sorted(LIST_KEYS):
        for oid in ds.ids(type_name):
            obj = renderer.expand(ds.path_of(oid))
            if obj is not None:
                pairs.append((type_name, json.loads(renderer.dumps(obj), strict=False)))
    return pairs


def test_sample_council_served_plain_is_mostly_read_the_fast_way() -> None:
    pairs = _served("")
    read = _assert_same("sample", pairs)
    fast_types = sum(1 for t, _ in pairs if t in PLANS)
    assert read > 0.9 * fast_types  # every plain AgendaItem, Consultation, File, Membership


@pytest.mark.parametrize("mode", sorted(QUIRKS))
def test_every_quirk_mode_gives_the_same_items(mode: str) -> None:
    _assert_same(mode, _served(mode))


def test_oparl_1_0_gives_the_same_items() -> None:
    _assert_same("1.0", _served("", version="1.0"))


def _recorded() -> Iterator[tuple[str, Pairs]]:
    folders = [*sorted((FIXTURES / "real").glob("*oparl*")), FIXTURES / "oparl-real"]
    for folder in folders:
        pairs: Pairs = []
        for path in sorted(folder.rglob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            if isinstance(data, dict) and isinstance(data.get("data"), list):
                pairs += [(None, obj) for obj in data["data"]]
            elif isinstance(data, dict):
                pairs.append((None, data))
        yield folder.name, pairs


def test_real_recordings_give_the_same_items() -> None:
    read = 0
    names = []
    for name, pairs in _recorded():
        names.append(name)
        read += _assert_same(name, pairs)
    assert len(names) >= 3
    assert read > 0  # real servers' plain objects do take the fast path


#: A parent of each fast type, and the key it is embedded under.
PARENTS = {"AgendaItem": ("Meeting", "agendaItem"), "Consultation": ("Paper", "consultation"),
           "File": ("Paper", "auxiliaryFile"), "Membership": ("Person", "membership")}  # fmt: skip


def _examples() -> dict[str, list[dict[str, Any]]]:
    """A few served objects of each fast type, and one of each parent type."""
    found: dict[str, list[dict[str, Any]]] = {}
    for type_name, obj in _served(""):
        kept = found.setdefault(str(type_name), [])
        if len(kept) < 3:
            kept.append(obj)
    return found


@pytest.mark.parametrize("type_name", sorted(PLANS))
def test_each_key_set_to_each_odd_value_gives_the_same_items(type_name: str) -> None:
    """Listed and embedded (where the parent's id, Body and dates reach the object), with every
    key the type reads, and some it does not, set to each odd value or removed."""
    examples = _examples()
    parent_type, parent_key = PARENTS[type_name]
    parent = copy.deepcopy(examples[parent_type][0])
    keys = [*PLANS[type_name].by_key, "id", "type", "deleted", "body", "unknownKey", "paper", "meeting"]
    variants: list[dict[str, Any]] = []
    for obj in examples[type_name]:
        undated = {k: v for k, v in obj.items() if k not in ("created", "modified")}
        variants += [obj, undated, {**obj, "created": obj["modified"], "modified": obj["created"]}]
        for key in keys:
            variants.append({k: v for k, v in obj.items() if k != key})
            variants += [{**obj, key: copy.deepcopy(value)} for value in ODD]
    pairs: Pairs = []
    for variant in variants:
        pairs.append((type_name, variant))
        pairs.append((parent_type, {**parent, parent_key: [variant]}))
    read = _assert_same(type_name, pairs)
    assert read > len(pairs) // 10


def test_fast_path_reads_exactly_the_keys_the_full_path_reads() -> None:
    """The plans name each key the type's builder and the common fields read, and no other: a
    key added to a builder but not to its plan would be ignored by the fast path."""

    class Recording(dict[str, Any]):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self.read: set[str] = set()

        def get(self, key: str, default: Any = None) -> Any:
            self.read.add(key)
            return super().get(key, default)

        def __contains__(self, key: object) -> bool:
            self.read.add(str(key))
            return super().__contains__(key)

        def __getitem__(self, key: str) -> Any:
            self.read.add(key)
            return super().__getitem__(key)

    examples = _examples()
    for type_name, plan in PLANS.items():
        obj = Recording(examples[type_name][0])
        records = [i for i in _mapper(plain=False).items(obj, expected=type_name) if isinstance(i, Record)]
        assert records, type_name
        assert obj.read - {"id", "type", "deleted"} == set(plan.by_key), type_name
