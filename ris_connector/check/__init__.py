"""``ris-connector check``: a conformance report of an OParl endpoint or iCalendar feed.

See docs/check.md. :func:`check_url` runs the check; :func:`to_markdown` and :func:`to_html`
write the report a town can send to its vendor.
"""

from __future__ import annotations

from ris_connector.check.render import to_html, to_markdown
from ris_connector.check.report import CheckReport
from ris_connector.check.run import check_url

__all__ = ["CheckReport", "check_url", "to_html", "to_markdown"]
