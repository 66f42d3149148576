"""Sample OParl data and an in-process OParl server with switchable real-world quirks.

``generate()`` builds a deterministic council dataset; ``OParlServer`` serves it over HTTP
on 127.0.0.1 for the demo, the test-suite and benchmarks.
"""

from ris_connector.sample.dataset import Dataset
from ris_connector.sample.generator import generate
from ris_connector.sample.server import OParlServer, RequestRecord
from ris_connector.sample.views import QUIRKS, VENDORS

__all__ = ["QUIRKS", "VENDORS", "Dataset", "OParlServer", "RequestRecord", "generate"]
