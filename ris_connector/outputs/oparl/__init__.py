"""The OParl 1.1 output: the store served (or exported as static files) as an OParl endpoint.

``create_app(store_or_path, base_url=...)`` is a WSGI application a backend can mount;
``export_static(app, out_dir, base_url)`` writes the same JSON as a file tree.
"""

from __future__ import annotations

from ris_connector.outputs.oparl.app import OParlApp, create_app
from ris_connector.outputs.oparl.catalogue import ORIGINAL_ID, PREFIX, SOURCE_CREATED, SOURCE_MODIFIED
from ris_connector.outputs.oparl.index import PublishIndex, synthetic_body_id, url_key
from ris_connector.outputs.oparl.live import LiveIndex
from ris_connector.outputs.oparl.static import export_static

__all__ = [
    "ORIGINAL_ID",
    "PREFIX",
    "SOURCE_CREATED",
    "SOURCE_MODIFIED",
    "LiveIndex",
    "OParlApp",
    "PublishIndex",
    "create_app",
    "export_static",
    "synthetic_body_id",
    "url_key",
]
