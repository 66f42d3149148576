"""Cleaning of text values: placeholders, stray whitespace and control characters."""

from __future__ import annotations

import re

#: Values that real servers send instead of leaving a field out.
PLACEHOLDERS = frozenset({"", "n/a", "n.a.", "na", "null", "none", "-", "--", "keine angabe", "undefined"})

#: Length of the longest placeholder: longer text is never one.
LONGEST_PLACEHOLDER = max(len(p) for p in PLACEHOLDERS)

#: C0 controls except tab, newline and carriage return, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(text: str) -> tuple[str, int]:
    """Remove illegal control characters; return the text and how many were removed."""
    cleaned, count = _CONTROL.subn("", text)
    return cleaned, count


def clean_text(value: object) -> str | None:
    """A trimmed string, or None for placeholders such as ``"N/A"``, ``" "`` and ``""``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        return None
    text = value.strip() if value.isprintable() else strip_controls(value)[0].strip()
    if len(text) <= LONGEST_PLACEHOLDER and text.lower() in PLACEHOLDERS:
        return None
    return text
