"""One iCalendar content line, ``NAME;PARAM=value;...:value``, read tolerantly.

RFC 5545 section 3.1: a name, parameters (values quoted with ``"`` when they hold ``;:,``) and
the value after the first colon outside quotes. A parameter with broken syntax (an unclosed
quote, a quote inside an unquoted value, no ``=``) costs that parameter, not the property: the
value then starts after the next colon. RFC 6868 escapes (``^n``, ``^'``, ``^^``) in parameter
values are decoded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z0-9-]+")
_PARAM_NAME = re.compile(r"([A-Za-z0-9-]+)=")
_UNQUOTED = re.compile(r'[^";:,]*')
_CARET = re.compile(r"\^[n'^]")
_CARET_MAP = {"^n": "\n", "^'": '"', "^^": "^"}


@dataclass(frozen=True, slots=True)
class Prop:
    """A property: upper-case name, parameters (upper-case names; several values joined by ``,``)
    and the raw value (still escaped; see ``values.text``)."""

    name: str
    params: dict[str, str]
    value: str

    def param(self, name: str) -> str | None:
        """A parameter's value, stripped, or None if absent or empty."""
        value = self.params.get(name)
        return value.strip() or None if value is not None else None


def parse_line(text: str) -> tuple[Prop | None, bool]:
    """The property of one unfolded line, and whether a broken parameter was dropped.

    None if the line has no name followed by ``;`` or ``:`` (then it is no content line).
    """
    match = _NAME.match(text)
    if match is None:
        return None, False
    name = match.group().upper()
    pos = match.end()
    params: dict[str, str] = {}
    broken = False
    while pos < len(text) and text[pos] == ";":
        end = _parameter(text, pos + 1, params)
        if end is None:
            broken = True
            break
        pos = end
    if broken:
        colon = text.find(":", pos)
        if colon < 0:
            return None, True
        return Prop(name, params, text[colon + 1 :]), True
    if pos >= len(text) or text[pos] != ":":
        return None, False
    return Prop(name, params, text[pos + 1 :]), False


def _parameter(text: str, pos: int, params: dict[str, str]) -> int | None:
    """Read ``NAME=value[,value]`` at ``pos`` into ``params``; the position after it, or None."""
    match = _PARAM_NAME.match(text, pos)
    if match is None:
        return None
    pos = match.end()
    values: list[str] = []
    while True:
        if pos < len(text) and text[pos] == '"':
            close = text.find('"', pos + 1)
            if close < 0:
                return None
            values.append(text[pos + 1 : close])
            pos = close + 1
        else:
            value = _UNQUOTED.match(text, pos)
            assert value is not None  # the pattern matches the empty string
            values.append(value.group())
            pos = value.end()
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        break
    if pos >= len(text) or text[pos] not in ";:":
        return None
    joined = ",".join(values)
    if "^" in joined:
        joined = _CARET.sub(lambda m: _CARET_MAP[m.group()], joined)
    params.setdefault(match.group(1).upper(), joined)
    return pos
