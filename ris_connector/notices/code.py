"""A notice code with what it means, and an OParl quirk: the two kinds of entry of the registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn


class NoticeCode(str):
    """A notice code: the text a run report groups notices by, with what it means.

    It is a ``str``, so a :class:`~ris_connector.items.Notice` takes it as its code and the
    report stores plain text (a pickled or JSON copy is plain text again); the attributes say
    what the code means and what the engine does about it. The engine reads them through
    :func:`ris_connector.notices.describe`, which also answers for codes that arrive as text.
    """

    what: str
    """What the source did, in a line."""
    handling: str
    """What the library does about it."""
    partial_list: bool
    """A list may not have been read whole (its links led nowhere usable): absence from it is
    no evidence, so the run deletes nothing for absence."""
    control_characters: bool
    """Counts control characters removed from the source's text (the report's
    ``control_characters_removed``)."""
    pagination: bool
    """About how a list was paged or filtered (the conformance report's pagination section)."""
    list_cut: bool
    """A list was ended before its end because a per-run bound was met: the list's state is not
    committed, nothing is deleted, and the run is incomplete."""

    def __new__(
        cls,
        code: str,
        what: str = "",
        handling: str = "",
        *,
        partial_list: bool = False,
        control_characters: bool = False,
        pagination: bool = False,
        list_cut: bool = False,
    ) -> NoticeCode:
        self = super().__new__(cls, code)
        for name, value in (
            ("what", what),
            ("handling", handling),
            ("partial_list", partial_list),
            ("control_characters", control_characters),
            ("pagination", pagination or partial_list),
            ("list_cut", list_cut),
        ):
            object.__setattr__(self, name, value)
        return self

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError(f"notice code {str(self)!r} is read-only")

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        return str, (str(self),)  # a copy is the code's text; describe() finds its meaning

    @property
    def effects(self) -> list[str]:
        """What the code changes beyond the count in the report, in words."""
        out = []
        if self.partial_list:
            out.append("no deletes for absence in this run")
        if self.control_characters:
            out.append("counted in control_characters_removed")
        if self.list_cut:
            out.append("the run is incomplete")
        return out


@dataclass(frozen=True)
class Quirk:
    """A deviation from OParl seen on real servers (a row of the quirk catalogue).

    ``number`` is the row's number, which the notice codes carry (``oparl-q16-...``: stored
    reports name them, so a number is never reused). ``tests`` are pytest node ids
    (``tests/<file>.py::<test>``) of the tests that show the library survives it; a test checks
    that each exists.
    """

    number: int
    title: str
    vendors: tuple[str, ...]
    handling: str
    codes: tuple[NoticeCode, ...] = ()
    tests: tuple[str, ...] = ()
    handled: bool = True
    """False where the library does nothing about it (``handling`` says why and what helps)."""
