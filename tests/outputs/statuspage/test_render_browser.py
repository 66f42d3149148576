"""The status page in a real browser (headless Chromium): what an operator sees on a desk and a
phone, reached with the keyboard, readable (contrast), and safe with hostile source data."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from ris_connector.outputs.mount import with_operations
from ris_connector.outputs.oparl import create_app
from ris_connector.store import SQLiteStore
from tests.support.browser import chromium, dialogs_of, link_count, low_contrast, screenshot, tab_through
from tests.support.opsdata import HOSTILE
from tests.support.wsgi_serve import serve_wsgi

PHONE = {"width": 390, "height": 844}


def _assert_accessible(page: Any, name: str) -> None:
    """Every link reached by Tab in document order, each with a visible focus; contrast >= 4.5."""
    order = tab_through(page)
    links = link_count(page)
    assert order[0]["text"] == "Skip to content", order[:2]
    assert len(order) == links, f"{name}: Tab reached {len(order)} of {links} links"
    hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
    assert [f["href"] for f in order] == hrefs
    invisible = [f for f in order if not f["outline"]]
    assert not invisible, f"{name}: links without a visible focus: {invisible[:3]}"
    poor = low_contrast(page)
    assert not poor, f"{name}: text below 4.5:1: {poor[:5]}"


def test_status_pages_in_chromium(ops_store: SQLiteStore) -> None:
    app = with_operations(create_app(ops_store), ops_store)
    with serve_wsgi(app) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        dialogs = dialogs_of(page)
        page.goto(f"{base}/status")
        rows = page.locator("table").first.locator("tbody tr")
        health = {r.locator("td").nth(0).inner_text(): r.locator("td").nth(1).inner_text() for r in rows.all()}
        assert health == {
            "broken-town": "failed",
            "degraded-town": "degraded",  # a status this code does not know is shown as it is
            "evil": "incomplete",
            "old-town": "stale",
            "town": "ok",
        }
        assert page.evaluate("() => document.scripts.length") == 0
        _assert_accessible(page, "overview")
        screenshot(page, "status-overview")

        page.set_viewport_size(PHONE)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
        _assert_accessible(page, "overview on a phone")
        screenshot(page, "status-overview-phone")

        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{base}/status/source/evil")
        text = page.inner_text("main")
        assert HOSTILE in text  # shown as text ...
        assert page.evaluate("() => document.scripts.length + document.images.length") == 0  # ... never as markup
        assert page.locator("main a[href]").count() >= 1
        _assert_accessible(page, "hostile source")
        screenshot(page, "status-source-hostile")

        page.click("text=payload #")
        raw = page.inner_text("body")
        assert HOSTILE in raw and "<body onload=alert(2)>" in raw
        assert not dialogs, f"a script ran: {dialogs}"

        page.goto(f"{base}/status/source/town")
        assert "ok" in page.inner_text("dl") and "Run history" in page.inner_text("main")
        _assert_accessible(page, "source page")
        screenshot(page, "status-source-town")

        page.goto(f"{base}/status/source/degraded-town")
        main = page.inner_text("main")
        assert "no start time" in main and "oparl-q18-placeholder" in main
        assert page.locator("a", has_text="payload #").count() == 9
        screenshot(page, "status-source-degraded")


def test_payload_is_plain_text_that_no_browser_renders(ops_store: SQLiteStore) -> None:
    app = with_operations(create_app(ops_store), ops_store)
    with serve_wsgi(app) as base:
        page = requests.get(f"{base}/status/source/evil", timeout=10)
        assert page.status_code == 200 and "script-src" not in page.headers["Content-Security-Policy"]
        assert "<script>" not in page.text and "&lt;script&gt;" in page.text
        (qid,) = {part.split('"')[0] for part in page.text.split("/quarantine/")[1:]}
        raw = requests.get(f"{base}/status/source/{quote('evil')}/quarantine/{qid}", timeout=10)
        assert raw.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert raw.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in raw.headers["Content-Security-Policy"]
        assert HOSTILE in raw.text
        assert requests.get(f"{base}/status/source/nobody", timeout=10).status_code == 404
        assert requests.get(f"{base}/status/source/evil/quarantine/999999", timeout=10).status_code == 404
        assert requests.post(f"{base}/status", timeout=10).status_code == 405
        assert requests.get(f"{base}/system", timeout=10).json()["type"].endswith("System")  # OParl still served


def test_status_of_the_demo_and_of_real_recorded_sources(tmp_path: Path) -> None:
    """The demo's data (as ``ris-connector demo`` syncs it) and two real recordings replayed on
    127.0.0.1 (Somacos Karlsruhe and Wuppertal, with their real deviations)."""
    from ris_connector.sample.server import OParlServer
    from ris_connector.sync import run_source
    from tests.support.recorded_oparl import karlsruhe, wuppertal
    from tests.support.ristest import oparl_source

    store = SQLiteStore(tmp_path / "real.db")
    with OParlServer(scale=0.02) as demo:
        assert run_source(oparl_source(demo.system_url, name="demo"), store).complete
    for name, server in (("karlsruhe", karlsruhe()), ("wuppertal", wuppertal())):
        with server:
            assert run_source(oparl_source(server.system_url, name=name), store).complete
    app = with_operations(create_app(store), store)
    with serve_wsgi(app) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/status")
        assert page.locator("table").first.locator("tbody tr").count() == 3
        _assert_accessible(page, "real overview")
        screenshot(page, "status-real-overview")
        for name in ("demo", "karlsruhe", "wuppertal"):
            page.goto(f"{base}/status/source/{name}")
            _assert_accessible(page, name)
            screenshot(page, f"status-real-{name}")
        main = page.inner_text("main")  # wuppertal: the 404 references show as warnings of the run
        assert "oparl-q15-unlisted-reference" in main
    store.close()
