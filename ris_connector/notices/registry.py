"""Every notice code of the library in one mapping, and the lookup the engine uses.

A code is registered by defining it as a :class:`NoticeCode` constant in one of the modules of
this package (:data:`MODULES`); ``tests/test_notices.py`` checks that every code the library
emits is one of them, that no two constants share a code, and that each quirk's tests exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType, ModuleType

from ris_connector.notices import engine, ics, oparl, soap, values
from ris_connector.notices.code import NoticeCode, Quirk
from ris_connector.notices.quirks import QUIRKS

#: The modules whose NoticeCode constants are the registry, in the order the docs list them.
MODULES: tuple[ModuleType, ...] = (values, engine, oparl, ics, soap)


def codes_of(module: ModuleType) -> tuple[NoticeCode, ...]:
    """The NoticeCode constants a module defines, in their order."""
    return tuple(value for value in vars(module).values() if isinstance(value, NoticeCode))


def _collect(modules: tuple[ModuleType, ...]) -> dict[str, NoticeCode]:
    found: dict[str, NoticeCode] = {}
    for module in modules:
        for code in codes_of(module):
            if code in found:
                raise ValueError(f"notice code {code!r} defined twice ({module.__name__})")
            found[code] = code
    return found


#: Code text -> its registered :class:`NoticeCode`.
CODES: Mapping[str, NoticeCode] = MappingProxyType(_collect(MODULES))


def describe(code: str) -> NoticeCode:
    """What ``code`` means: the registered code, ``code`` itself where a plugin made it a
    :class:`NoticeCode`, else a code without properties (an unknown plugin's text)."""
    if isinstance(code, NoticeCode):
        return CODES.get(code, code)
    return CODES.get(code) or NoticeCode(code)


def quirk_of(code: str) -> Quirk | None:
    """The catalogue row whose codes include ``code``, if any."""
    return next((q for q in QUIRKS if code in q.codes), None)
