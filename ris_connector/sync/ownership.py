"""Whose id is it? The engine's check that a record's id belongs to the source that sent it.

Ids are global in a store: a source that could store records under another source's ids would
hide the real owner's records (the first claim wins). So every record any adapter yields is
checked here before anything is stored:

* ``urn:ris:<this source>:...`` ids are the source's own; ``urn:ris:<other source>:...`` are not;
* an http(s) id (an OParl URL, already canonical) belongs to the source when its host and port
  are the source's home (the configured ``url``) or in ``allowed_hosts``, by the same rules as
  the URL policy (``ris_connector.http.urlpolicy``: on the home host only the configured port);
* any other id names no owner and is not the source's.

A record with a foreign id is quarantined with the reason (the default), or with
``foreign_ids = "rehome"`` kept under the source's own namespace,
``urn:ris:<source>:<type>:<digest of the foreign id>``; its references to foreign ids are
re-homed the same way, so a re-homed object and the records that point to it still meet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ris_connector.errors import ConfigError
from ris_connector.http.settings import HttpSettings
from ris_connector.http.urlpolicy import UrlPolicy, origin_of, url_host
from ris_connector.models import RECORD_TYPES, Record
from ris_connector.normalize.ids import urn

#: Placeholder home of a source without ``url``: the reserved ``.invalid`` name (RFC 6761)
#: matches no real id, so only ``allowed_hosts`` can own URL ids of such a source.
_NO_HOME = "http://home.invalid/"

#: Reference fields whose name does not say the target's type (the others: the field's last
#: word, ``auxiliary_file`` -> File, or the whole field, ``agenda_item`` -> AgendaItem).
_FIELD_TYPES = {
    "sub_organization_of": "Organization",
    "on_behalf_of": "Organization",
    "under_direction_of": "Organization",
    "participant": "Person",
    "invitation": "File",
    "results_protocol": "File",
    "verbatim_protocol": "File",
    "external_body": "Body",
}
_CAMEL = {name.lower(): name for name in RECORD_TYPES}
_CACHE = 1024


def target_type(field: str) -> str | None:
    """The record type a reference field points to (``auxiliary_file`` -> ``File``), if known."""
    if field in _FIELD_TYPES:
        return _FIELD_TYPES[field]
    whole = _CAMEL.get(field.replace("_", ""))
    return whole or _CAMEL.get(field.rsplit("_", 1)[-1])


@dataclass(frozen=True)
class Verdict:
    """Why an id is not the source's (``reason``), for the quarantine and the report."""

    id: str
    reason: str


class Ownership:
    """Decides which ids a source may store (see the module docstring)."""

    def __init__(self, source: str, url: str | None, http: HttpSettings, *, rehome: bool = False) -> None:
        self.source = source
        self.rehome = rehome
        self._own_urn = f"urn:ris:{source}:"
        # Only host and port rules are needed: no private-address lookup for ids.
        settings = http.model_copy(update={"block_private_addresses": False})
        home = url if url and origin_of(url) is not None else _NO_HOME
        try:
            self._policy = UrlPolicy(home, settings, source=source)
        except ConfigError:  # pragma: no cover - the HTTP client refused this configuration first
            self._policy = UrlPolicy(_NO_HOME, HttpSettings(), source=source)
        self._home = f"{url_host(self._policy.home.host)}:{self._policy.home.port}" if home != _NO_HOME else "(no url)"
        self._hosts = ", ".join(http.allowed_hosts) or "none"
        self._origins: dict[str, bool] = {}
        self._last_own = ""
        """``scheme://host[:port]`` of the last http(s) id found the source's own (empty before
        the first): most ids of a source share it, and every id ``<it>/...`` is as well."""

    def foreign(self, rid: str) -> str | None:
        """None if ``rid`` is the source's own id, else the reason it is not."""
        last = self._last_own
        if last and rid.startswith(last) and rid[len(last) : len(last) + 1] == "/":
            return None  # the origin of the last own URL id: what the slow path says for it
        if rid.startswith(self._own_urn):
            return None
        if rid.startswith("urn:ris:"):
            owner = rid[8:].split(":", 1)[0]
            return f"id {rid!r} is in the namespace of source {owner!r}, not {self.source!r}"
        if rid[:7].lower() == "http://" or rid[:8].lower() == "https://":
            end = rid.find("/", rid.find("//") + 2)
            prefix = rid if end < 0 else rid[:end]
            allowed = self._origins.get(prefix)
            if allowed is None:
                origin = origin_of(prefix)
                allowed = origin is not None and self._policy.allows(origin)
                if len(self._origins) >= _CACHE:
                    self._origins.clear()
                self._origins[prefix] = allowed
            if allowed:
                self._last_own = prefix
                return None
            return (
                f"id {rid!r} lies outside the source's hosts (home {self._home}, allowed_hosts: {self._hosts}); "
                f'a source may only store ids of its own hosts (foreign_ids = "rehome" keeps it under '
                f"urn:ris:{self.source}:)"
            )
        return f"id {rid!r} is neither an http(s) URL nor urn:ris:{self.source}:..."

    def rehomed(self, type_name: str, foreign_id: str) -> str:
        """``urn:ris:<source>:<type>:<digest of the foreign id>``."""
        digest = hashlib.blake2b(foreign_id.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        return urn(self.source, type_name, digest)

    def rehome_record(self, record: Record) -> list[tuple[str, str]]:
        """Re-home ``record``'s id (if foreign) and its references to foreign ids, in place.

        Returns (old id, new id) of what was re-homed, the record's own id first if it was.
        """
        values = record.__dict__
        moved: list[tuple[str, str]] = []
        if self.foreign(record.id) is not None:
            new = self.rehomed(record.type, record.id)
            moved.append((record.id, new))
            values["id"] = new
        for field in record.REFERENCES:
            value = values.get(field)
            kind = target_type(field)
            if kind is None or not value:
                continue
            if isinstance(value, str):
                if self.foreign(value) is not None:
                    values[field] = self.rehomed(kind, value)
                    moved.append((value, values[field]))
            elif isinstance(value, list):
                fixed = [self.rehomed(kind, v) if isinstance(v, str) and self.foreign(v) else v for v in value]
                if fixed != value:
                    moved += [(a, b) for a, b in zip(value, fixed, strict=True) if a != b]
                    values[field] = fixed
        return moved
