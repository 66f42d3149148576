"""The newest copy wins: one object arriving several times in one run (embedded and listed).

A Somacos Paper embeds a Consultation modified 2021-07-22 with ``agendaItem``/``meeting``, while
the consultations list carries an older copy without them. Reproduced here on the sample OParl
server (papers are read before the consultations list) by rewriting one of the two copies on the
wire; every test runs two full syncs and requires that the second announces nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ris_connector.jsontext import compact
from ris_connector.models import NON_CONTENT_FIELDS
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore, Store
from ris_connector.sync import RunReport
from ris_connector.sync.copies import merge_copies
from tests.support.clirun import cli, cli_json, write_config
from tests.support.faulty_oparl import inject
from tests.support.ristest import FAST_HTTP, OParlFactory, sync

SCALE = 0.005
OLD = "2001-01-01T00:00:00+01:00"
LINKS = ("agendaItem", "meeting")

Edit = Callable[[dict[str, Any]], None]


def _linked(consultation: dict[str, Any]) -> bool:
    return isinstance(consultation, dict) and bool(consultation.get("agendaItem"))


def _older_without_links(c: dict[str, Any]) -> None:
    c["created"] = c["modified"] = OLD
    for key in LINKS:
        c.pop(key, None)


def _same_age_without_links(c: dict[str, Any]) -> None:
    for key in LINKS:
        c.pop(key, None)


def _other_role(c: dict[str, Any]) -> None:
    c["role"] = "Anhörung (abweichende Kopie)"


def on_list(change: Callable[[dict[str, Any]], None]) -> Edit:
    """Apply ``change`` to the linked consultations of a consultations list page."""

    def edit(page: dict[str, Any]) -> None:
        for c in page.get("data", []):
            if _linked(c):
                change(c)

    return edit


def on_embedded(change: Callable[[dict[str, Any]], None]) -> Edit:
    """Apply ``change`` to the linked consultations embedded in the papers of a papers list page."""

    def edit(page: dict[str, Any]) -> None:
        for paper in page.get("data", []):
            for c in paper.get("consultation", []) if isinstance(paper, dict) else []:
                if _linked(c):
                    change(c)

    return edit


def _where(which: str, change: Callable[[dict[str, Any]], None]) -> tuple[str, Edit]:
    return ("/consultations", on_list(change)) if which == "list" else ("/papers", on_embedded(change))


def _expected(server: OParlServer) -> dict[str, dict[str, Any]]:
    ds = server.dataset
    return {c: ds.get(c) for c in ds.ids("Consultation") if ds.get(c).get("agendaItem")}


def _updates(store: Store, run_id: int | None) -> list[str]:
    return [e.id for e in store.changes(source="test") if e.run_id == run_id and e.kind == "updated"]


def _full_runs(
    oparl_server: Callable[..., OParlServer], store: Store, which: str, change: Callable[[dict[str, Any]], None], n: int
) -> tuple[dict[str, dict[str, Any]], list[RunReport]]:
    """``n`` full syncs of a sample server whose ``which`` copy of linked consultations is changed."""
    server = oparl_server(scale=SCALE)
    match, edit = _where(which, change)
    inject(server, match, "edit", edit=edit)
    reports = [sync(server, store, full=True) for _ in range(n)]
    assert all(r.complete for r in reports)
    return _expected(server), reports


@pytest.mark.parametrize("older", ["list", "embedded"])
def test_the_newest_copy_wins_whatever_the_order(oparl_server: OParlFactory, any_store: Store, older: str) -> None:
    expected, (_, second) = _full_runs(oparl_server, any_store, older, _older_without_links, 2)
    assert len(expected) > 50
    for cid, source in expected.items():
        row = any_store.get(cid)
        assert row is not None
        assert row.data["agendaItem"] == source["agendaItem"] and row.data["meeting"] == source["meeting"], cid
        assert row.data["modified"] != "2001-01-01T00:00:00+01:00"
    assert second.counts["Consultation"]["updated"] == 0
    assert _updates(any_store, second.run_id) == []  # nothing contradicts itself on the next run
    assert second.warnings["older-copy"]["count"] == len(expected)  # counted, with an example
    assert "older than the one kept" in second.warnings["older-copy"]["example"]


@pytest.mark.parametrize("thinner", ["list", "embedded"])
def test_a_thinner_copy_of_the_same_age_erases_nothing(
    oparl_server: OParlFactory, any_store: Store, thinner: str
) -> None:
    expected, (_, second, third) = _full_runs(oparl_server, any_store, thinner, _same_age_without_links, 3)
    for cid, source in expected.items():
        row = any_store.get(cid)
        assert row is not None and row.data.get("agendaItem") == source["agendaItem"], cid
    assert _updates(any_store, second.run_id) == [] and _updates(any_store, third.run_id) == []
    assert second.counts["Consultation"]["updated"] == 0 and second.counts["Consultation"]["unchanged"] > 0


def test_disagreeing_copies_of_one_age_give_one_result_in_any_order(oparl_server: OParlFactory, tmp_path: Path) -> None:
    """Two copies of the same age that disagree on a value: the same stored record whichever is read first."""
    stored: dict[str, dict[str, Any]] = {}
    for which in ("list", "embedded"):
        server = oparl_server(scale=SCALE)
        match, edit = _where(which, _other_role)
        inject(server, match, "edit", edit=edit)
        with SQLiteStore(tmp_path / f"{which}.db") as store:
            sync(server, store, full=True)
            second = sync(server, store, full=True)
            assert _updates(store, second.run_id) == []
            roles = {}
            for cid, source in _expected(server).items():
                row = store.get(cid)
                assert row is not None
                want = max(source["role"], "Anhörung (abweichende Kopie)", key=compact)
                assert row.data["role"] == want
                roles[cid.rsplit("/", 1)[-1]] = row.data["role"]
            stored[which] = roles
    assert stored["list"] == stored["embedded"]


def test_a_change_without_a_new_modified_is_still_news(oparl_server: OParlFactory, any_store: Store) -> None:
    """ALLRIS 4 stamps every paper 2000-01-01: a changed paper is the same age as the stored one."""
    server = oparl_server(scale=SCALE, quirks={"allris4"})
    sync(server, any_store, full=True)
    paper = server.dataset.ids("Paper")[3]
    server.dataset.update(paper, name="Neuer Titel der Vorlage")
    states_before = any_store.stream_states("test")

    again = sync(server, any_store, full=True)

    assert again.complete and _updates(any_store, again.run_id) == [paper]
    row = any_store.get(paper)
    assert row is not None and row.data["name"] == "Neuer Titel der Vorlage"
    assert row.data["modified"] == "2000-01-01T00:00:00+01:00"
    after = any_store.stream_states("test")  # the held copy was written, then the lists' states
    assert after.keys() == states_before.keys()
    assert all(after[s]["watermark"] > states_before[s]["watermark"] for s in after)


def _content(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in NON_CONTENT_FIELDS}


JSON_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=5), st.lists(st.text(max_size=3), max_size=3)
)


@given(
    st.dictionaries(st.sampled_from(["a", "b", "c", "modified"]), JSON_VALUES),
    st.dictionaries(st.sampled_from(["a", "b", "c", "modified"]), JSON_VALUES),
)
def test_merging_copies_ignores_their_order_and_keeps_every_field(a: dict[str, Any], b: dict[str, Any]) -> None:
    ab, ba = merge_copies(a, b), merge_copies(b, a)
    assert _content(ab) == _content(ba)
    for key, value in [*a.items(), *b.items()]:
        if key != "modified" and value not in (None, "", [], {}):
            assert ab[key] not in (None, "", [], {})


def test_cli_second_full_run_over_a_somacos_like_source_announces_nothing(
    oparl_server: OParlFactory, tmp_path: Path
) -> None:
    server = oparl_server(scale=SCALE)
    match, edit = _where("list", _older_without_links)
    inject(server, match, "edit", edit=edit)
    http = "\n".join(f"{k} = {v}" for k, v in FAST_HTTP.items())
    config = write_config(
        tmp_path / "ris.toml",
        tmp_path / "ris.db",
        f'[[source]]\nname = "somacos"\nadapter = "oparl"\nurl = "{server.system_url}"\n[source.http]\n{http}',
    )

    code, first = cli_json("sync", "--config", str(config), "--full")
    assert code == 0 and first["status"] == "complete"
    code, second = cli_json("sync", "--config", str(config), "--full")
    assert code == 0 and second["status"] == "complete"
    assert second["totals"]["updated"] == 0 and second["totals"]["created"] == 0
    assert {w["code"] for w in second["warnings"]} >= {"older-copy"}

    changes = cli("changes", "--db", str(tmp_path / "ris.db"))
    assert changes.returncode == 0
    assert '"kind":"updated"' not in changes.stdout  # the change feed: created only, no contradicting updates
    status = cli("status", "--config", str(config))
    assert status.returncode == 0 and "somacos" in status.stdout
