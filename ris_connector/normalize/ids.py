"""Record ids: OParl type URIs, canonical URLs and ``urn:ris:`` ids for non-URL sources."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote, urlsplit, urlunsplit

from ris_connector.models import RECORD_TYPES

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TYPE_URI = re.compile(r"^https?://schema\.oparl\.org/(?P<version>\d+\.\d+)/(?P<name>[A-Za-z]+)/?$", re.IGNORECASE)
#: A URL that :func:`canonical_url` leaves as it is: lower-case scheme and host, a port that is
#: not the default, only characters ``repair_url`` keeps, no fragment. Flat character classes
#: keep the match cheap; host labels, ``//`` in the path and a trailing slash are checked in code.
_CANONICAL = re.compile(
    r"(https?)://([a-z0-9.-]+)"
    r"(?::([1-9][0-9]{0,4}))?"
    r"(/[A-Za-z0-9%:@!$&'()*+,;=._~/-]*)?"
    r"(?:\?[A-Za-z0-9%:@!$&'()*+,;=._~/?-]+)?\Z"
)
#: A URL that :func:`repair_url` leaves as it is (same character classes as ``_CANONICAL``).
REPAIRED_URL = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?"
    r"(?:/[A-Za-z0-9%:@!$&'()*+,;=._~-]+)*/?"
    r"(?:\?[A-Za-z0-9%:@!$&'()*+,;=._~/?-]+)?\Z"
)
_LOWER_TYPES = {name.lower(): name for name in (*RECORD_TYPES, "System", "Error")}

#: URL path words that name a type, for tombstones without ``type``.
_PATH_WORDS = {
    "body": "Body",
    "bodies": "Body",
    "legislativeterm": "LegislativeTerm",
    "legislativeterms": "LegislativeTerm",
    "term": "LegislativeTerm",
    "organization": "Organization",
    "organizations": "Organization",
    "person": "Person",
    "persons": "Person",
    "people": "Person",
    "membership": "Membership",
    "memberships": "Membership",
    "meeting": "Meeting",
    "meetings": "Meeting",
    "agendaitem": "AgendaItem",
    "agendaitems": "AgendaItem",
    "paper": "Paper",
    "papers": "Paper",
    "consultation": "Consultation",
    "consultations": "Consultation",
    "file": "File",
    "files": "File",
    "location": "Location",
    "locations": "Location",
}


def short_type(value: object) -> str | None:
    """``"Paper"`` for any spelling of the OParl Paper type URI (or the bare name)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _TYPE_URI.match(text)
    name = match.group("name") if match else text.rstrip("/").rsplit("/", 1)[-1]
    return _LOWER_TYPES.get(name.lower())


def type_version(value: object) -> str | None:
    """``"1.1"`` for ``https://schema.oparl.org/1.1/Paper``."""
    if not isinstance(value, str):
        return None
    match = _TYPE_URI.match(value.strip())
    return match.group("version") if match else None


def type_from_url(url: str) -> str | None:
    """Guess a record type from the words of a URL (``.../papers.asp?id=1``, ``.../meeting/7``)."""
    parts = urlsplit(url)
    words = re.split(r"[/._?=&]+", f"{parts.path}".lower())
    for word in reversed(words):
        if word in _PATH_WORDS:
            return _PATH_WORDS[word]
    return None


def repair_url(url: str) -> str:
    """Percent-encode characters that are illegal in URLs (spaces, ``|``) and fix ``//`` in paths."""
    if REPAIRED_URL.match(url):
        return url  # nothing to encode or collapse: the general path below would return it unchanged
    text = url.strip()
    parts = urlsplit(text)
    path = re.sub(r"/{2,}", "/", parts.path)
    path = quote(path, safe="/%:@!$&'()*+,;=-._~")
    query = quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def canonical_url(url: str, *, scheme_for: Mapping[str, str] | None = None) -> str:
    """One spelling per resource: lower-case scheme and host, no default port, no trailing slash.

    ``scheme_for`` maps hosts to the scheme their ids should use, so that ``http://`` ids of
    an ``https://`` server (and vice versa) name the same record.
    """
    if _plain_canonical(url, scheme_for):
        return url  # already canonical: the slow path below would return it unchanged
    text = repair_url(url)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    if scheme_for and host in scheme_for and scheme_for[host] != scheme:
        if port == _DEFAULT_PORTS.get(scheme):
            port = None
        scheme = scheme_for[host]
    netloc = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
    if port and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    path = parts.path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def _plain_canonical(url: str, scheme_for: Mapping[str, str] | None) -> bool:
    """Whether ``url`` is already canonical and valid (the common case, one regex match)."""
    fast = _CANONICAL.match(url)
    if fast is None:
        return False
    scheme, host, port, path = fast.groups()
    if path and ((len(path) > 1 and path[-1] == "/") or "//" in path):
        return False
    if host[0] in ".-" or host[-1] in ".-" or ".." in host or ".-" in host or "-." in host:
        return False  # an empty label, or one that starts or ends with "-"
    if port is not None and not _DEFAULT_PORTS[scheme] != int(port) <= 65535:
        return False
    return not scheme_for or scheme_for.get(host, scheme) == scheme


def url_id(value: object, *, scheme_for: Mapping[str, str] | None = None) -> str | None:
    """:func:`canonical_url` of ``value`` if :func:`is_url` holds for it, else None."""
    if type(value) is str and _plain_canonical(value, scheme_for):
        return value  # what is_url and canonical_url would say, at the cost of one match
    return canonical_url(value, scheme_for=scheme_for) if is_url(value) else None  # type: ignore[arg-type]


def is_url(value: object) -> bool:
    """Whether ``value`` is an absolute http(s) URL that can be parsed (host, valid port)."""
    if type(value) is str and _plain_canonical(value, None):
        return True
    if not isinstance(value, str) or not value.strip().lower().startswith(("http://", "https://")):
        return False
    try:
        parts = urlsplit(value.strip())
        _ = parts.port  # raises ValueError for a port out of range
    except ValueError:  # e.g. "http://[::1/x": an unclosed IPv6 bracket
        return False
    return bool(parts.hostname)


def urn(source: str, type_name: str, native_id: object) -> str:
    """``urn:ris:<source>:<type>:<native id>`` for records whose source has no URLs."""
    native = quote(str(native_id).strip(), safe="-._~:@!$&'()*+,;=/")
    src = quote(source.strip(), safe="-._~")
    return f"urn:ris:{src}:{type_name}:{native}"
