"""Hypothesis strategies for spoiled values: every way a source can get one value wrong.

Shared by the value-tolerance property tests of the adapters (``tests/**/test_*_value_tolerance.py``)
and the fuzz test. ``json_spoilers`` are JSON data (what an OParl server may put in a field);
``text_spoilers`` are strings (what an XML element or a SOAP string may hold).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

#: Strings that broke (or nearly broke) a reader somewhere: placeholders, dates that are none,
#: URLs that do not parse, control and bidi characters, numbers in words.
ODD_STRINGS = [
    "",
    " ",
    "\t\n",
    "N/A",
    "null",
    "None",
    "-",
    "0",
    "-1",
    "true",
    "ja",
    "1e400",
    "NaN",
    "Infinity",
    "9" * 40,
    "9" * 5000,
    "2024-02-30",
    "2024-13-01",
    "0000-01-01",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59-23:59",
    "+275760-09-13T00:00:00Z",
    "2024-01-01T25:61:00",
    "2024-03-31T02:30:00",
    "2024-01-15T10:00:00+01::00",
    "2024-01-15T10:00:00+25:00",
    "20240312T170000Z",
    "31.02.2024",
    "12.03.2024 17:00 Uhr",
    "kein Datum",
    "http://[::1/x",
    "http://exa mple.org:99999/p",
    "http://x:0:1/",
    "https://",
    "http://ä.example/ä ö",
    "http://example.org/%zz%",
    "//evil.example/x",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "data:text/plain,hi",
    "\x00",
    "a\x00b\x1f\x7fc",
    "\u202eevil\u202c",
    "\u2066isolate\u2069",
    "\u200b\u200d\ufeff",
    "\ufffe\uffff",
    "\U0010ffff",
    "\u03a9\u2248\u00e7\u221a\u222b\u02dc\u00b5\u2264\u2265\u00f7",
    "<b>tag</b>&amp;",
    "]]>",
    "'; DROP TABLE records; --",
    "{{7*7}}",
    "%s%n%x",
    "a" * 100_000,
    "Sitzung " * 5000,
]

odd_strings = st.one_of(st.sampled_from(ODD_STRINGS), st.text(max_size=60))

#: Unicode text as XML can carry it (no C0 controls but tab/newline/CR, no surrogates, no U+FFFE/FFFF).
xml_chars = st.characters(
    exclude_categories=["Cs"],
    exclude_characters="\ufffe\uffff",
    min_codepoint=0x20,
) | st.sampled_from(["\t", "\n", "\r"])

#: Strings an XML text node or a SOAP string can hold (control characters the cleaner removes included).
text_spoilers = st.one_of(
    st.sampled_from(ODD_STRINGS),
    st.text(alphabet=xml_chars, max_size=80),
    st.text(max_size=40),
)

numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**30, 10**4000, -(10**4000)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, -0.0, 5e-324]),
)

scalars = st.one_of(st.none(), st.booleans(), numbers, odd_strings)


def _nested(depth: int) -> Any:
    value: Any = "tief"
    for i in range(depth):
        value = [value] if i % 2 else {"x": value}
    return value


json_spoilers = st.one_of(
    scalars,
    st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(["id", "type", "@id"])), inner, max_size=4),
        ),
        max_leaves=12,
    ),
    st.sampled_from([10, 100, 400]).map(_nested),
    st.lists(st.sampled_from(ODD_STRINGS[:30]), min_size=1, max_size=3),
    st.sampled_from(
        [
            {},
            [],
            [None],
            [[]],
            {"id": None},
            {"id": 5},
            {"id": "keine-url"},
            {"type": "https://schema.oparl.org/1.1/Paper"},
            {"id": "https://other.example/x", "type": "Unknown"},
            ["a", 1, None, {"b": []}],
        ]
    ),
)
