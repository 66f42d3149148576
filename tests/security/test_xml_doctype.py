"""Promise: a DOCTYPE is refused where it is a declaration (the prolog), not where it is content.

``<!DOCTYPE`` inside CDATA (an HTML snippet in a description, common in exports) made a whole
XML export be refused; a DOCTYPE before the root element still is.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ris_connector.clock import FixedClock
from ris_connector.config import source_from_mapping
from ris_connector.store import SQLiteStore
from ris_connector.sync import RunReport, run_source
from tests.support.ristest import FAST_HTTP, FIXTURES
from tests.support.static_server import Page, StaticServer

SI010 = (FIXTURES / "xml" / "allris3" / "si010.xml").read_bytes()
HTML = b"<![CDATA[<!DOCTYPE html><p>Einladung</p>]]>"
NOW = datetime(2024, 3, 20, 12, 0, tzinfo=timezone.utc)


def _sync(body: bytes, store: SQLiteStore) -> RunReport:
    server = StaticServer({"/bi/si010.asp": Page(body, "text/xml; charset=ISO-8859-1")}).start()
    try:
        url = server.url("/bi/si010.asp")
        source = source_from_mapping(
            {"name": "m", "adapter": "xml", "mapping": "allris3", "url": url, "http": FAST_HTTP}
        )
        return run_source(source, store, clock=FixedClock(NOW))
    finally:
        server.stop()


def test_doctype_inside_cdata_is_content_and_the_export_is_read(store: SQLiteStore) -> None:
    body = SI010.replace(b"<sitext>Sitzung des Rates</sitext>", b"<sitext>Sitzung des Rates " + HTML + b"</sitext>")
    assert body != SI010 and body.index(b"<!DOCTYPE") < 4096  # in the decoder's first chunk
    report = _sync(body, store)
    assert report.complete, report.errors
    assert report.counts["Meeting"]["created"] == 4  # as without the CDATA (one without its unreadable date)
    rat = next(r for r in store.iter_rows(type_name="Meeting") if "Rates" in str(r.data.get("name")))
    assert "<!DOCTYPE html>" in str(rat.data)


@pytest.mark.parametrize(
    "prolog",
    [
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE list-page>\n',
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<!-- <list> --><!DOCTYPE x [<!ENTITY e "boom">]>\n',
    ],
    ids=["doctype", "doctype-after-a-comment-that-looks-like-a-root"],
)
def test_doctype_in_the_prolog_is_still_refused(prolog: bytes, store: SQLiteStore) -> None:
    body = prolog + SI010.split(b"\n", 1)[1]
    report = _sync(body, store)
    assert report.status == "incomplete"
    assert "document type declarations (DOCTYPE) are refused" in report.errors[0]
    assert report.total("created") == 0
