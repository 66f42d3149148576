"""Every notice code the library reports, what each means, and the OParl quirk catalogue.

A notice (:class:`~ris_connector.items.Notice`) is a tolerated deviation, counted under its
code in the run report. Codes are :class:`NoticeCode` constants defined in this package, one
module per part that reports them (``values``, ``engine``, ``oparl``, ``ics``, ``soap``); the
engine reads their properties (:func:`describe`), never their spelling. ``quirks`` is the
catalogue of what real OParl servers do wrong, with the codes and tests of each row;
``docs/quirks.md`` is generated from it (``ris-connector quirks``).
"""

from ris_connector.notices.code import NoticeCode, Quirk
from ris_connector.notices.quirks import QUIRKS
from ris_connector.notices.registry import CODES, codes_of, describe, quirk_of

__all__ = ["CODES", "QUIRKS", "NoticeCode", "Quirk", "codes_of", "describe", "quirk_of"]
