"""Canonical ids of one OParl source, with a fast path for ids in a folder already checked.

A source's ids sit in a few folders (``https://ris.example.org/oparl/v1/paper/``) followed by
a number or a short word. Checking each id in full (:func:`~ris_connector.normalize.ids.url_id`:
a regular expression and several host and path checks) cost a tenth of the mapper's time, and a
cache keyed by the whole id misses on every new object. :class:`SourceIds` remembers the folders
of ids found canonical by that full check; an id in such a folder whose last segment is only
ASCII letters and digits is canonical too (same scheme, host, port and folder; a segment without
``/``, ``.``, ``%`` or anything else that canonicalization changes), so it is returned as given.
Everything else takes the full path, with the same result and errors as before.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial

from ris_connector.normalize.ids import _plain_canonical, canonical_url, url_id

#: How many URL spellings are kept canonicalized (shared Locations, Organizations...).
CANONICAL_CACHE = 4096

#: How many id folders are remembered (a source has a handful; this only bounds hostile input).
FOLDERS = 256

#: Slashes in ``scheme://host/``: a folder with fewer ends inside the host, which the fast path
#: must never vouch for (``http://`` + a word is a host, and hosts have rules of their own).
_PATH_SLASHES = 3


class SourceIds:
    """Canonical ids of URLs of one source (``scheme_for`` as for :func:`canonical_url`)."""

    def __init__(self, scheme_for: dict[str, str]) -> None:
        self._schemes = dict(scheme_for)
        self._canonical: Callable[[str], str] = lru_cache(maxsize=CANONICAL_CACHE)(
            partial(canonical_url, scheme_for=self._schemes)
        )
        self._folders: set[str] = set()

    def _known(self, value: str) -> bool:
        """Whether ``value`` is a simple last segment in a folder of ids already found canonical."""
        cut = value.rfind("/") + 1
        if value[:cut] not in self._folders:
            return False
        tail = value[cut:]
        return tail.isascii() and tail.isalnum()

    def _learn(self, value: str) -> None:
        """Remember the folder of ``value`` if the full check holds for it and its last segment
        is simple (called after a full check found ``value`` as given to be its own id)."""
        cut = value.rfind("/") + 1
        tail = value[cut:]
        if (
            len(self._folders) < FOLDERS
            and tail.isascii()
            and tail.isalnum()
            and value.count("/", 0, cut) >= _PATH_SLASHES
            and _plain_canonical(value, self._schemes)
        ):
            self._folders.add(value[:cut])

    def url_id(self, value: object) -> str | None:
        """:func:`~ris_connector.normalize.ids.url_id` of ``value`` (same result)."""
        if type(value) is str:
            if self._known(value):
                return value
            rid = url_id(value, scheme_for=self._schemes)
            if rid == value:
                self._learn(value)
            return rid
        return url_id(value, scheme_for=self._schemes)

    def canonical(self, url: str) -> str:
        """:func:`~ris_connector.normalize.ids.canonical_url` of ``url`` (same result and errors)."""
        if type(url) is str and self._known(url):
            return url
        rid = self._canonical(url)
        if rid == url and type(url) is str:
            self._learn(url)
        return rid
