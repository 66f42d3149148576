"""Which URLs a source may fetch, which may carry its credentials, and repair of sloppy URLs.

A server's JSON must not be able to make the client fetch arbitrary URLs: only http(s), only
the home host (on its configured port) and explicitly allowed hosts, and no private addresses
reached from a public home. Credentials belong to the home *origin* (scheme, host and port of
the configured URL), see :meth:`UrlPolicy.same_origin`.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from ris_connector.errors import ConfigError, ForbiddenUrl, redact_url
from ris_connector.http.settings import HttpSettings, parse_host_entry

Resolver = Callable[[str], Iterable[str]]

DEFAULT_PORTS = {"http": 80, "https": 443}


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


def url_host(host: str) -> str:
    """``host`` as written in a URL: IPv6 literals in brackets."""
    return f"[{host}]" if ":" in host else host


@dataclass(frozen=True)
class Origin:
    """Scheme, host (normalized, no brackets) and port (the scheme's default if none given)."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.scheme}://{url_host(self.host)}:{self.port}"

    @property
    def default_port(self) -> bool:
        """Whether the port is the scheme's default (80 for http, 443 for https)."""
        return self.port == DEFAULT_PORTS[self.scheme]


def origin_of(url: str) -> Origin | None:
    """The origin of an http(s) URL; None for other schemes, no host or an invalid port."""
    try:
        parts = urlsplit(url)
        hostname, port = parts.hostname, parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not hostname:
        return None
    return Origin(scheme, normalize_host(hostname), port or DEFAULT_PORTS[scheme])


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
    """Checks URLs against the home origin, ``allowed_hosts`` and the private-address rule.

    On the home host only the home URL's port is allowed (and, when that is its scheme's
    default, the other scheme's default port: ``http://host/`` for ``https://host/``); an
    ``allowed_hosts`` entry ``host:port`` allows another port. A bare entry allows every port
    of another host; it does not widen the home host.
    """

    def __init__(
        self,
        home_url: str,
        settings: HttpSettings | None = None,
        *,
        source: str | None = None,
        resolve: Resolver = _resolve,
    ) -> None:
        settings = settings or HttpSettings()
        home = origin_of(home_url)
        if home is None:
            raise ConfigError(f"home URL must be an http(s) URL with a host: {redact_url(home_url)}")
        self.home = home
        self.home_host = home.host
        self._source = source
        self._resolve = resolve
        self._cache: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._exact: dict[str, set[int] | None] = {home.host: {home.port}}
        self._suffixes: list[tuple[str, int | None]] = []
        for entry in settings.allowed_hosts:
            try:
                host, port = parse_host_entry(entry)
            except ValueError as exc:
                raise ConfigError(f"allowed_hosts: {exc}") from None
            if host.startswith("*."):
                self._suffixes.append((host[1:], port))
            elif host == home.host and port is None:
                continue  # the home host is always allowed on its port; other ports need host:port
            else:
                self._add(host, port)
        block = settings.block_private_addresses
        self.block_private = (not self._is_private_host(self.home_host)) if block is None else block

    def _add(self, host: str, port: int | None) -> None:
        ports = self._exact.get(host, set())
        if ports is None:
            return
        if port is None:
            self._exact[host] = None
        else:
            ports.add(port)
            self._exact[host] = ports

    def allows(self, origin: Origin) -> bool:
        """Whether ``origin``'s host and port are the home's or allowed."""
        if origin.host == self.home.host:
            ports = self._exact[origin.host]
            assert ports is not None
            return origin.port in ports or (origin.default_port and self.home.default_port)
        if origin.host in self._exact:
            ports = self._exact[origin.host]
            return ports is None or origin.port in ports
        return any(
            origin.host.endswith(suffix) and (port is None or port == origin.port) for suffix, port in self._suffixes
        )

    def same_origin(self, url: str) -> bool:
        """Whether ``url`` has exactly the home origin: only such requests carry credentials."""
        return origin_of(url) == self.home

    def check(self, url: str) -> None:
        """Raise :class:`ForbiddenUrl` unless ``url`` may be fetched."""
        try:
            parts = urlsplit(url)
            hostname = parts.hostname
            parts.port  # noqa: B018 - raises ValueError for a port out of range
        except ValueError:
            raise self._forbidden("unparseable URL", url) from None
        if parts.scheme.lower() not in DEFAULT_PORTS:
            raise self._forbidden(f"scheme {parts.scheme or '(none)'!r} not allowed", url)
        if not hostname:
            raise self._forbidden("URL without host", url)
        origin = origin_of(url)
        assert origin is not None
        if not self.allows(origin):
            host, port = origin.host, origin.port
            if host == self.home.host:
                hint = f"add '{url_host(host)}:{port}' to allowed_hosts to allow it"
                raise self._forbidden(f"port {port} of the home host not allowed ({hint})", url)
            if host in self._exact or any(host.endswith(suffix) for suffix, _ in self._suffixes):
                raise self._forbidden(f"port {port} of host {host!r} not allowed", url)
            raise self._forbidden(f"host {host!r} not allowed", url)
        host = origin.host
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
