"""Precompiled ``strptime`` formats for the common all-numeric date-time layouts of exports.

``datetime.strptime`` re-reads its format and builds a struct per call; mapping files use a
handful of numeric formats (``%Y%m%dT%H%M%SZ``, ``%d.%m.%Y %H:%M``) millions of times. For a
format made only of ``%Y %m %d`` (each required) and ``%H %M %S`` (each optional) plus literal
text, :func:`compile_format` returns a parser that accepts and refuses exactly what strptime
does: the same per-directive patterns (Unicode digits included), the same escaping of literal
text, whitespace matching ``\\s+``, case-insensitive literals, a match from the start that must
reach the end, and ``datetime(...)`` raising for impossible dates (30 February, second 60).
Any other format gets ``None`` and stays with strptime.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

#: The patterns strptime uses for these directives.
_DIRECTIVES = {
    "Y": r"(?P<Y>\d\d\d\d)",
    "m": r"(?P<m>1[0-2]|0[1-9]|[1-9])",
    "d": r"(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])",
    "H": r"(?P<H>2[0-3]|[0-1]\d|\d)",
    "M": r"(?P<M>[0-5]\d|\d)",
    "S": r"(?P<S>6[0-1]|[0-5]\d|\d)",
}
_REQUIRED = frozenset("Ymd")
_REGEX_CHARS = re.compile(r"([\\.^$*+?\(\){}\[\]|])")
_WHITESPACE = re.compile(r"\s+")

Parser = Callable[[str], datetime]


def _literal(text: str) -> str:
    return _WHITESPACE.sub(r"\\s+", _REGEX_CHARS.sub(r"\\\1", text))


#: The six numbers of a date-time (year, month, day, hour, minute, second).
Fields = tuple[int, int, int, int, int, int]
FieldsParser = Callable[[str], Fields]


def compile_fields(fmt: str) -> FieldsParser | None:
    """A parser giving the numbers ``datetime.strptime(text, fmt)`` reads, or None for other
    formats; it raises ValueError where strptime does, except for impossible dates (30 February,
    second 60), which ``datetime(*fields)`` refuses."""
    pattern: list[str] = []
    seen: list[str] = []
    rest = fmt
    while "%" in rest:
        index = rest.index("%")
        directive = rest[index + 1 : index + 2]
        if directive not in _DIRECTIVES or directive in seen:
            return None
        seen.append(directive)
        pattern.append(_literal(rest[:index]))
        pattern.append(_DIRECTIVES[directive])
        rest = rest[index + 2 :]
    pattern.append(_literal(rest))
    if not set(seen) >= _REQUIRED:
        return None
    regex = re.compile("".join(pattern), re.IGNORECASE)
    match = regex.match
    # where each of Y m d H M S is among the groups (-1: absent, the number is 0)
    iy, im, id_, ih, imi, isec = (seen.index(d) if d in seen else -1 for d in "YmdHMS")

    def fields(text: str) -> Fields:
        found = match(text)
        if found is None:
            raise ValueError(f"time data {text!r} does not match format {fmt!r}")
        if found.end() != len(text):
            raise ValueError(f"unconverted data remains: {text[found.end() :]}")
        g = found.groups()
        return (
            int(g[iy]),
            int(g[im]),
            int(g[id_]),
            int(g[ih]) if ih >= 0 else 0,
            int(g[imi]) if imi >= 0 else 0,
            int(g[isec]) if isec >= 0 else 0,
        )

    return fields


def compile_format(fmt: str) -> Parser | None:
    """A fast parser equal to ``datetime.strptime(text, fmt)``, or None for other formats."""
    fields = compile_fields(fmt)
    if fields is None:
        return None

    def parse(text: str) -> datetime:
        return datetime(*fields(text))

    return parse


def parser_for(fmt: str) -> Parser:
    """The fast parser for ``fmt`` where there is one, else ``datetime.strptime`` with ``fmt``."""
    fast = compile_format(fmt)
    if fast is not None:
        return fast

    def slow(text: str) -> datetime:
        return datetime.strptime(text, fmt)

    return slow
