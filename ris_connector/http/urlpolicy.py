"""Which URLs a source may fetch, and repair of sloppy URLs from upstream JSON.

A server's JSON must not be able to make the client fetch arbitrary URLs: only http(s), only
the home host and explicitly allowed hosts, and no private addresses reached from a public home.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit, urlunsplit

from ris_connector.errors import ConfigError, ForbiddenUrl, redact_url
from ris_connector.http.settings import HttpSettings

Resolver = Callable[[str], Iterable[str]]

_SCHEMES = frozenset({"http", "https"})


def _resolve(host: str) -> list[str]:
    """All addresses ``host`` resolves to; empty if it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


def normalize_host(host: str) -> str:
    """Lower-case, without IPv6 brackets and without a trailing dot."""
    return host.strip().lower().strip("[]").rstrip(".")


def _is_private_ip(text: str) -> bool | None:
    """True/False for an IP literal (non-global counts as private), None if not an IP."""
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


class UrlPolicy:
    """Checks URLs against the home URL's host, ``allowed_hosts`` and the private-address rule."""

    def __init__(
        self,
        home_url: str,
        settings: HttpSettings | None = None,
        *,
        source: str | None = None,
        resolve: Resolver = _resolve,
    ) -> None:
        settings = settings or HttpSettings()
        parts = urlsplit(home_url)
        if parts.scheme.lower() not in _SCHEMES or not parts.hostname:
            raise ConfigError(f"home URL must be an http(s) URL with a host: {redact_url(home_url)}")
        self.home_host = normalize_host(parts.hostname)
        self._source = source
        self._resolve = resolve
        self._cache: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._exact = {self.home_host}
        self._suffixes: list[str] = []
        for entry in settings.allowed_hosts:
            host = normalize_host(entry)
            if host.startswith("*."):
                self._suffixes.append(host[1:])
            elif host:
                self._exact.add(host)
        block = settings.block_private_addresses
        self.block_private = (not self._is_private_host(self.home_host)) if block is None else block

    def host_allowed(self, host: str) -> bool:
        """True if ``host`` is the home host, listed, or matches a ``*.`` wildcard (subdomains only)."""
        host = normalize_host(host)
        return host in self._exact or any(host.endswith(suffix) for suffix in self._suffixes)

    def check(self, url: str) -> None:
        """Raise :class:`ForbiddenUrl` unless ``url`` may be fetched."""
        try:
            parts = urlsplit(url)
            hostname = parts.hostname
        except ValueError:
            raise self._forbidden("unparseable URL", url) from None
        if parts.scheme.lower() not in _SCHEMES:
            raise self._forbidden(f"scheme {parts.scheme or '(none)'!r} not allowed", url)
        if not hostname:
            raise self._forbidden("URL without host", url)
        host = normalize_host(hostname)
        if not self.host_allowed(host):
            raise self._forbidden(f"host {host!r} not allowed", url)
        if self.block_private and host != self.home_host and self._is_private_host(host):
            raise self._forbidden(f"host {host!r} is a private or loopback address", url)

    def _forbidden(self, reason: str, url: str) -> ForbiddenUrl:
        return ForbiddenUrl(f"refusing {redact_url(url)}: {reason}", url=url, source=self._source)

    def _is_private_host(self, host: str) -> bool:
        """True for private IP literals, localhost, and names resolving to any private address."""
        literal = _is_private_ip(host)
        if literal is not None:
            return literal
        if host == "localhost" or host.endswith(".localhost"):
            return True
        with self._lock:
            cached = self._cache.get(host)
        if cached is None:
            cached = any(_is_private_ip(addr) for addr in self._resolve(host))
            with self._lock:
                self._cache[host] = cached
        return cached


_HEX = frozenset("0123456789abcdefABCDEF")
_ILLEGAL = re.compile(r"[\x00-\x20\x7f-\U0010ffff\"<>\\^`{|}%]")


def _encode_part(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        char, pos = match.group(), match.start()
        if char == "%" and len(text) >= pos + 3 and set(text[pos + 1 : pos + 3]) <= _HEX:
            return char
        return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))

    return _ILLEGAL.sub(fix, text)


def repair_url(url: str) -> str:
    """Percent-encode spaces, ``|`` and other characters illegal in URLs (quirk row 37).

    Path, query and fragment are repaired; valid ``%XX`` escapes and the host are left alone.
    """
    parts = urlsplit(url.strip())
    return urlunsplit(
        (
            parts.scheme,
            parts.netloc,
            _encode_part(parts.path),
            _encode_part(parts.query),
            _encode_part(parts.fragment),
        )
    )
