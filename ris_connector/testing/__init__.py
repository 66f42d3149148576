"""The adapter test kit: checks that tell an adapter author whether the adapter is right.

Subclass :class:`AdapterContract` in a test module (pytest finds the rest through this
package's ``pytest11`` plugin), or call :func:`verify_adapter` with a :class:`KitSpec`.
Recorded HTTP exchanges replay offline (vcrpy, ``record_mode="none"``); ``python -m pytest
--ris-record`` re-records them. Needs the ``kit`` extra: ``pip install 'ris-connector[kit]'``.
"""

from ris_connector.testing.contract import AdapterContract, KitResult, verify_adapter
from ris_connector.testing.faultproxy import FAULTS, FaultProxy
from ris_connector.testing.runner import KitSpec, Scenario

__all__ = ["FAULTS", "AdapterContract", "FaultProxy", "KitResult", "KitSpec", "Scenario", "verify_adapter"]
