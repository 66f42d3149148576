"""ZMS (eappointment) appointments for ris-connector."""

from ris_zms.adapter import ZmsAdapter

__all__ = ["ZmsAdapter"]
