"""``python -m ris_connector.cli``."""

import sys

from ris_connector.cli import main

sys.exit(main())
