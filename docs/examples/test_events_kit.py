import json
from pathlib import Path

from ris_connector.testing import AdapterContract, list_api, serve_json

HERE = Path(__file__).parent


class TestEventsKit(AdapterContract):
    adapter = "events"  # the entry point's name
    source = {"name": "events-test", "url": "{base}/appointments"}  # a [[source]] table; {base}: the server
    pyproject = HERE.parent / "pyproject.toml"  # where the entry point is declared (read until installed)

    def live_server(self):  # the source: here a local copy of its API, serving events.json
        items = json.loads((HERE / "events.json").read_text(encoding="utf-8"))
        return serve_json({"/appointments": list_api(items, page_size=2, since_param="modified_since")})
