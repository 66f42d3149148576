"""The OParl mapper: OParl JSON objects to normalized records, flattening embedded objects.

One :class:`OParlMapper` per run. :meth:`OParlMapper.items` takes one object as a server sent
it and yields the records of the object and everything embedded in it, plus notices for each
tolerated deviation, a tombstone for a deleted object, or a rejection. Each object is read
through an :class:`ObjectReader`, bound to the object and to where it sits (its id, its Body,
the object it is embedded in), so a type's mapping names each OParl key once. The value parsers
it builds on are in :mod:`ris_connector.normalize`.

An AgendaItem, Consultation, File or Membership that needs no repair at all takes a fast path
first (:mod:`ris_connector.adapters.oparl.plain`), which gives the same record; any value that
would need a repair or a notice sends the object down the full path below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, tzinfo
from functools import cached_property
from typing import Any, TypeVar

import orjson
from pydantic import ValidationError

from ris_connector.adapters.base import Item, Notice, Rejected, Tombstone
from ris_connector.adapters.oparl.fields import ValueReader, normalize_ags, show
from ris_connector.adapters.oparl.plain import PLANS, Plan, plain_fields
from ris_connector.adapters.oparl.sourceids import SourceIds
from ris_connector.clock import Clock
from ris_connector.models import RECORD_TYPES, AgendaItem, Consultation, LegislativeTerm, Membership, Record
from ris_connector.normalize.ids import is_url, repair_url, short_type, type_from_url
from ris_connector.normalize.records import validate_record
from ris_connector.normalize.status import meeting_status
from ris_connector.normalize.text import LONGEST_PLACEHOLDER, clean_text
from ris_connector.notices.oparl import (
    Q4_TOMBSTONE_WITHOUT_TYPE,
    Q5_MISSING_TYPE,
    Q6_EMBEDDED_LOCATION,
    Q7_ARRAY,
    Q8_DOUBLE_SLASH,
    Q11_AGS,
    Q14_EMPTY_NUMBER,
    Q18_PLACEHOLDER,
    Q18_SIZE_ZERO,
    Q19_SINGLE_OBJECT,
    Q24_EMBEDDED_WITHOUT_ID,
    Q26_CREATED_AFTER_MODIFIED,
    Q26_INHERITED_DATES,
    Q36_TYPE_URI,
    Q37_URL_CHARACTERS,
    Q38_LICENSE_TEXT,
)
from ris_connector.notices.values import INVALID_REFERENCE, INVALID_VALUE, MEETING_END_BEFORE_START

#: Keys that a "thin" list entry has (quirk 13: the real object must be fetched one by one).
THIN_KEYS = frozenset({"id", "type", "created", "modified", "deleted"})

#: Types that OParl 1.1 both embeds in other objects and lists on their own: their copies
#: are mapped once per run (see :meth:`OParlMapper._dedup_key`).
EMBEDDABLE = frozenset({"AgendaItem", "File", "Consultation", "Membership", "Location", "LegislativeTerm"})

#: What an absolute URL starts with (the reference readers' fast check).
_HTTP = ("http://", "https://")

#: How many spellings of type URIs each mapper remembers.
_TYPE_CACHE = 256

#: What mapping one object may raise; the object is then rejected, never the run.
_MAPPING_ERRORS = (ValidationError, ValueError, TypeError, OverflowError, RecursionError)


def _on(url: str | None) -> str:
    """Where a payload without a usable id was read, for the quarantine reason.

    Such a rejection has no ``ref``: the quarantine keeps one row per record id, and the page
    URL would make every id-less object of a page one record (it is keyed by its payload).
    """
    return f" (on {url})" if url else ""


def _at(parent: Parent | None, field: str) -> str:
    """Where an embedded object was, as the start of a rejection reason ("" for a listed one)."""
    return f"{parent.id} {field}: " if parent is not None else ""


class _Seen:
    """Placeholder in the output for an object already mapped in this run (never yielded).

    A plain slotted class: one is made per skipped copy (tens of thousands a run), and a
    frozen dataclass costs several times more to build.
    """

    __slots__ = ("id", "type")

    def __init__(self, id: str, type: str) -> None:
        self.id = id
        self.type = type


Out = list[Item | _Seen]
R = TypeVar("R", bound=Record)


class Parent:
    """The object an embedded object was found in; its dates are read when a child lacks its own."""

    def __init__(
        self, id: str, type: str, dates: Callable[[], tuple[datetime | None, datetime | None]] | None = None
    ) -> None:
        self.id = id
        self.type = type
        self._dates = dates

    @cached_property
    def dates(self) -> tuple[datetime | None, datetime | None]:
        """(created, modified), inherited from its own parent where it has neither (quirk 26)."""
        return self._dates() if self._dates else (None, None)

    @property
    def created(self) -> datetime | None:
        return self.dates[0]

    @property
    def modified(self) -> datetime | None:
        return self.dates[1]


class ObjectReader(ValueReader):
    """One OParl object being mapped: its values read by key, its embedded objects flattened.

    Bound to the object and its build context: the record's ``id`` and ``type``, the ``body``
    it belongs to, the ``parent`` it is embedded in, the ``out`` list its embedded objects'
    items go to, and the mapper whose run-wide caches it shares. Notices about its values are
    collected in ``notices`` (each prefixed with the id).
    """

    def __init__(
        self, obj: dict[str, Any], mapper: OParlMapper, id: str, type: str, body: str | None, parent: Parent | None
    ) -> None:
        # ValueReader's attributes, set here directly: its __init__ (keyword arguments, a fallback
        # for ``canonical``) was a measurable share of the per-object cost, and the mapper
        # always has every value it would compute.
        self.tz = mapper.tz
        self.times = mapper.times
        self.canonical = mapper.canonical
        self.notices: list[Notice] = []
        self.where = id
        self.obj = obj
        self.mapper = mapper
        self.id = id
        self.type = type
        self.body = body
        self.parent = parent
        self.out: Out = []
        """The items of the objects embedded in this one (and notices about them)."""

    # --- values, by key ----------------------------------------------------------------------
    # The hot readers below take the common case (absent, or a value already in the form the
    # record wants) inline and hand everything else to the ``*_of`` reader with its repairs and
    # notices, which says the same for the common case: the fast check only saves a call.
    def text(self, key: str) -> str | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if type(value) is str and len(value) > LONGEST_PLACEHOLDER and value.isprintable():
            stripped = value.strip()
            if len(stripped) > LONGEST_PLACEHOLDER:
                return stripped
        return self.text_of(value, key)

    def texts(self, key: str) -> list[str]:
        value = self.obj.get(key)
        return [] if value is None else self.texts_of(value, key)

    def url(self, key: str) -> str | None:
        return self.text(key)  # url_of's reading (a URL is kept as given text)

    def ref(self, key: str) -> str | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if type(value) is str and value.startswith(_HTTP):
            try:
                return self.canonical(value)
            except ValueError:
                pass  # ref_of notes it
        return self.ref_of(value, key)

    def refs(self, key: str) -> list[str]:
        value = self.obj.get(key)
        return [] if value is None else self.refs_of(value, key)

    def datetime(self, key: str) -> datetime | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if type(value) is str:
            known = self.times.get(value)
            if known is not None:
                return known
        return self.datetime_of(value, key)

    def date(self, key: str) -> date | None:
        return self.date_of(self.obj.get(key), key)

    def boolean(self, key: str) -> bool | None:
        return self.boolean_of(self.obj.get(key), key)

    def integer(self, key: str) -> int | None:
        return self.integer_of(self.obj.get(key), key)

    def geojson(self, key: str) -> dict[str, Any] | None:
        return self.geojson_of(self.obj.get(key), key)

    def mime_type(self, key: str = "mimeType") -> str | None:
        return self.mime_type_of(self.obj.get(key))

    def parent_id(self, type_name: str) -> str | None:
        """The id of the object this one is embedded in, if that is a ``type_name``."""
        parent = self.parent
        return parent.id if parent is not None and parent.type == type_name else None

    # --- embedded objects --------------------------------------------------------------------
    def embed(self, key: str, expected: str) -> str | None:
        """The id of the object embedded under ``key`` (or of the URL given instead, quirk 6)."""
        return self.mapper.embed(self.obj.get(key), expected, key, self, None)

    def embed_list(self, key: str, expected: str) -> list[str]:
        """The ids of the objects embedded under ``key``; a single object is wrapped (quirk 19)."""
        value = self.obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.note(Q19_SINGLE_OBJECT, f"{key}: single object where an array is expected")
            value = [value]
        ids: list[str] = []
        for i, item in enumerate(value):
            rid = self.mapper.embed(item, expected, key, self, i)
            if rid and rid not in ids:
                ids.append(rid)
        return ids

    @cached_property
    def owner(self) -> Parent:
        """This object as the parent of its embedded objects; dates it lacks come from its own
        parent (quirk 26), read only when a child needs them."""
        obj, parent = self.obj, self.parent

        def dates() -> tuple[datetime | None, datetime | None]:
            r = ValueReader(tz=self.tz, canonical=self.canonical, notices=[], where=self.id, times=self.times)
            created, modified = r.datetime_of(obj.get("created")), r.datetime_of(obj.get("modified"))
            if parent is not None and created is None and modified is None:
                return parent.created, parent.modified
            return created, modified

        return Parent(self.id, self.type, dates)

    @property
    def child_body(self) -> str | None:
        """The Body the objects embedded in this one belong to: a Body's children belong to it."""
        return self.id if self.type == "Body" else self.body

    def children(self, cls: type[R]) -> Iterator[R]:
        """The records of type ``cls`` among the items of the embedded objects."""
        return (item for item in self.out if isinstance(item, cls))


class OParlMapper:
    """Maps OParl objects of one source to records."""

    def __init__(
        self,
        *,
        source: str,
        tz: tzinfo,
        clock: Clock,
        scheme_for: dict[str, str],
        keep_raw: bool = False,
        adapter_name: str = "oparl",
        plain: bool = True,
    ) -> None:
        self.source = source
        self.tz = tz
        self.clock = clock
        self.scheme_for = scheme_for
        self.keep_raw = keep_raw
        self.adapter_name = adapter_name
        self._plans = PLANS if plain else {}
        """The types whose plain objects take the fast path (``plain.py``); ``plain=False``
        maps every object the full way (what the fast path is compared with)."""
        self.read_plain = 0
        """Objects read by the fast path in this run."""
        ids = SourceIds(scheme_for)
        self.canonical: Callable[[str], str] = ids.canonical
        """The canonical id for a URL of this source (cached; ids in known folders at once)."""
        self.url_id: Callable[[object], str | None] = ids.url_id
        """The canonical id of a value if it is a URL, else None (ids in known folders at once)."""
        self.dates: dict[str, date] = {}
        """Dates read by the fast path (``plain.py``), shared by every object."""
        self.times: dict[str, datetime] = {}
        """Date-times already read in the prescribed spelling (shared by every object's reader)."""
        self._seen: dict[int, str] = {}
        """Dedup key of each embeddable copy mapped in this run -> its record id, or "" when that
        is the copy's own ``id`` as sent (most ids): a run holds one entry per embeddable object,
        so the entry keeps no string of its own (bounded memory: 8 instead of 22 MB at scale 1)."""
        self._types: dict[str, tuple[str, bool]] = {}
        """Type string as sent -> (short type, whether the URI is spelled oddly), quirk 36."""
        self.skipped = 0
        """Copies of objects skipped because an identical copy was mapped before."""

    def _dedup_key(self, rid: str | None, obj: dict[str, Any]) -> int:
        """A 64-bit key of an embeddable object's id and exact content.

        ``rid`` is None for an object with a text id: its record id follows from that id (part
        of the content), so the key is known before the id is checked and a copy seen before
        skips that check (see :meth:`_seen_copy`).

        In OParl 1.1 every embedded object also comes in its own list, and one Location may be
        embedded in thousands of meetings: a copy identical to one already mapped in this run
        is skipped. A copy that differs is mapped again (the later one wins, as before).
        orjson's text of decoded JSON is exact for it and several times faster than ``repr``,
        which stays for what orjson refuses (integers beyond 64 bits).
        """
        try:
            return hash((rid, orjson.dumps(obj)))
        except TypeError:
            pass
        try:
            return hash((rid, repr(obj)))
        except (ValueError, RecursionError):  # beyond the int-to-text limit, deeper than repr goes
            return hash((rid, id(obj)))  # never equal to another copy: mapped again

    # --- entry point -------------------------------------------------------------------------
    def items(
        self,
        obj: Any,
        *,
        expected: str | None = None,
        body: str | None = None,
        url: str | None = None,
        parent: Parent | None = None,
        field: str = "",
        index: int | None = None,
    ) -> Iterator[Item]:
        """Records (and notices) for ``obj`` and every object embedded in it."""
        out: Out = []
        self._object(obj, expected, body, url, parent, field, index, out)
        for item in out:
            if not isinstance(item, _Seen):
                yield item

    def _object(
        self,
        obj: Any,
        expected: str | None,
        body: str | None,
        url: str | None,
        parent: Parent | None,
        field: str,
        index: int | None,
        out: Out,
    ) -> str | None:
        """Append the items for ``obj`` to ``out``; return its id (or None if rejected)."""
        if not isinstance(obj, dict):
            if isinstance(obj, str) and (ref := self.url_id(obj)) is not None:
                return ref  # a reference where an object was expected (quirk 6)
            out.append(
                Rejected(
                    f"{_at(parent, field)}expected an OParl object, got {type(obj).__name__}{_on(url)}", obj, expected
                )
            )
            return None
        raw_type = obj.get("type")
        known = self._types.get(raw_type) if type(raw_type) is str else None
        if known is None:
            type_name = short_type(raw_type)
            odd_uri = isinstance(raw_type, str) and (
                not raw_type.startswith("https://schema.oparl.org/1.") or raw_type.endswith("/")
            )
            if type(raw_type) is str and type_name is not None and len(self._types) < _TYPE_CACHE:
                self._types[raw_type] = (type_name, odd_uri)
        else:
            type_name, odd_uri = known
        raw_id = obj.get("id")
        text_id = isinstance(raw_id, str) and bool(raw_id.strip())
        key: int | None = None
        if text_id and type_name in EMBEDDABLE:
            key = self._dedup_key(None, obj)
            seen = self._seen.get(key)
            if seen is not None:  # the same key: the same content, so the same id as sent
                return self._seen_copy(seen or str(raw_id), type_name, raw_type if odd_uri else None, out)
        if text_id and isinstance(raw_id, str):  # isinstance: for mypy
            checked = self.url_id(raw_id)
            if checked is None:
                out.append(
                    Rejected(
                        f"{_at(parent, field)}id {raw_id[:80]!r} is not a URL{_on(url)}", obj, type_name or expected
                    )
                )
                return None
            rid = checked
        elif parent is not None and raw_id in (None, ""):
            suffix = f"{field}/{index}" if index is not None else field
            rid = f"{parent.id}#{suffix}"
            out.append(Notice(Q24_EMBEDDED_WITHOUT_ID, f"{parent.id}: embedded {field} without id"))
        else:
            out.append(Rejected(f"{_at(parent, field)}object without id{_on(url)}", obj, type_name or expected))
            return None
        if type_name is None:
            type_name = expected or type_from_url(rid)
            if obj.get("type") is not None and short_type(obj.get("type")) is None:
                out.append(Rejected(f"{_at(parent, field)}unknown type {show(obj.get('type'))}", obj, expected, rid))
                return None
            if type_name is None:
                out.append(Rejected(f"{_at(parent, field)}object without type", obj, None, rid))
                return None
            code = Q4_TOMBSTONE_WITHOUT_TYPE if obj.get("deleted") is True else Q5_MISSING_TYPE
            out.append(Notice(code, f"{rid}: no type, read as {type_name}"))
        elif odd_uri:
            out.append(Notice(Q36_TYPE_URI, f"{rid}: type URI spelled {raw_type!r}"))
        deleted = obj.get("deleted")
        if deleted is True or (isinstance(deleted, str) and deleted.strip().lower() == "true"):
            out.append(Tombstone(rid, type_name))
            return rid
        builder = self._BUILDERS.get(type_name)
        if builder is None:
            out.append(Rejected(f"{_at(parent, field)}type {type_name} is not a record type", obj, type_name, rid))
            return None
        if key is None and type_name in EMBEDDABLE:  # a type read from the context, or no text id
            key = self._dedup_key(None if text_id else rid, obj)
            if key in self._seen:
                return self._seen_copy(rid, type_name, None, out)
        plan = self._plans.get(type_name)
        if plan is not None:
            record = self._plain(obj, plan, type_name, rid, body, parent, url)
            if record is not None:
                self.read_plain += 1
                if key is not None:
                    self._seen[key] = "" if rid == raw_id else rid
                out.append(record)
                return rid
        r = ObjectReader(obj, self, rid, type_name, body, parent)
        try:
            fields = builder(self, r)
            fields["id"] = rid
            self._common(r, fields, url)
            record, dropped = validate_record(RECORD_TYPES[type_name], fields, by_name=True)
        except _MAPPING_ERRORS as exc:
            out.append(Rejected(f"cannot normalize {type_name}: {_reason(exc)}", obj, type_name, rid))
            return None
        for value in dropped:
            r.note(INVALID_VALUE, str(value))
        if key is not None:
            self._seen[key] = "" if rid == raw_id else rid
        out.extend(r.notices)
        out.extend(r.out)
        out.append(record)
        return rid

    def _plain(
        self,
        obj: dict[str, Any],
        plan: Plan,
        type_name: str,
        rid: str,
        body: str | None,
        parent: Parent | None,
        url: str | None,
    ) -> Record | None:
        """The record of an object that needs no repair, read by its plan (``plain.py``); None
        when it needs the full path. What it adds to the fields is what ``_common`` and the
        type's builder add for such an object."""
        f = plain_fields(obj, plan, self.canonical, self.times, self.dates)
        if f is None:
            return None
        created, modified = f.get("created"), f.get("modified")
        if created is None and modified is None:
            if parent is not None:
                return None  # dates inherited from the parent, with a notice (quirk 26)
        elif created is not None and modified is not None and created > modified:
            return None  # noted and repaired (quirk 26)
        if plan.from_parent is not None:
            field, parent_type = plan.from_parent
            if field not in f and parent is not None and parent.type == parent_type:
                f[field] = parent.id
        if plan.ordered_times and "end" in f and "start" in f and f["end"] < f["start"]:
            del f["end"]
        if body is not None:
            f["body"] = body
        f["id"] = rid
        f["provenance"] = self._provenance_of(obj, url)
        if self.keep_raw:
            f["raw"] = obj
        try:
            return RECORD_TYPES[type_name].model_validate(f, by_alias=False, by_name=True)
        except _MAPPING_ERRORS:
            return None  # the full path drops the failing value with a notice

    def _provenance_of(self, obj: dict[str, Any], url: str | None) -> dict[str, Any]:
        """Where ``obj`` was read, as the fields of its record's ``provenance``."""
        raw_id = obj.get("id")
        return {
            "source": self.source,
            "adapter": self.adapter_name,
            "original_id": raw_id if isinstance(raw_id, str) else None,
            "url": url,
            "fetched_at": self.clock.now(),
        }

    def _seen_copy(self, rid: str, type_name: str, odd_type: str | None, out: Out) -> str:
        """Skip a copy identical to one mapped before in this run; note an odd type URI again.

        Called before the id is checked for a copy with a text id and a type known from a
        previous object: such a copy has the record id and type of the one mapped before (both
        follow from its content), was not deleted, and the only notice that the full path
        gives it before the skip is the odd type URI (quirk 36), given here the same way.
        """
        if odd_type is not None:
            out.append(Notice(Q36_TYPE_URI, f"{rid}: type URI spelled {odd_type!r}"))
        self.skipped += 1
        out.append(_Seen(rid, type_name))
        return rid

    def embed(self, value: Any, expected: str, field: str, r: ObjectReader, index: int | None) -> str | None:
        """Flatten one object embedded in ``r``'s object (or take a URL given instead, quirk 6);
        return its id. Anything else (a number, a list of several, text that is no URL) is
        dropped with a notice."""
        if value is None or value == "" or value == {}:
            return None
        if isinstance(value, str):
            rid = self.url_id(value)
            if rid is None:
                code = INVALID_REFERENCE if clean_text(value) is not None else Q18_PLACEHOLDER
                r.out.append(Notice(code, f"{r.id}: {field}: {show(value)} is not a URL; dropped"))
            return rid
        if isinstance(value, list) and len(value) == 1 and index is None:
            r.out.append(Notice(Q7_ARRAY, f"{r.id}: {field}: one-element array where an object is expected"))
            return self.embed(value[0], expected, field, r, None)
        if not isinstance(value, dict):
            what = f"{len(value)} values" if isinstance(value, list) else show(value)
            r.out.append(Notice(INVALID_VALUE, f"{r.id}: {field}: {what} where an object is expected; dropped"))
            return None
        return self._object(value, expected, r.child_body, None, r.owner, field, index, r.out)

    # --- the fields every record has ---------------------------------------------------------
    def _common(self, r: ObjectReader, f: dict[str, Any], url: str | None) -> None:
        """Add the fields every record has to the type's fields ``f``."""
        if f.get("name") is None:
            f["name"] = r.text("name")
        created = r.datetime("created")
        modified = r.datetime("modified")
        parent = r.parent
        if parent is not None and created is None and modified is None:
            created, modified = parent.created, parent.modified
            r.note(Q26_INHERITED_DATES, "embedded object without created/modified; parent's used")
        if created and modified and created > modified:
            r.note(Q26_CREATED_AFTER_MODIFIED, "created is after modified; modified set to created")
            modified = created
        f["created"], f["modified"] = created, modified
        f["keyword"] = r.texts("keyword")
        f["web"] = r.url("web")
        license_ = f["license"] = r.text("license")
        if license_ is not None and not is_url(license_):
            r.note(Q38_LICENSE_TEXT, f"license is free text, kept as given: {license_[:60]!r}")
        if f.get("body") is None and r.body is not None and r.type != "Body":
            f["body"] = r.body
        f["provenance"] = self._provenance_of(r.obj, url)
        if self.keep_raw:
            f["raw"] = r.obj

    # --- per type: the fields of its record, by OParl key ------------------------------------
    def _system(self, r: ObjectReader) -> dict[str, Any]:
        # ``body`` (the Body list URL) is left out: Bodies name their System.
        o = r.obj
        return dict(
            oparl_version=r.text("oparlVersion"),
            other_oparl_versions=r.refs_of(
                o.get("otherOparlVersions", o.get("otherOParlVersions")), "otherOparlVersions"
            ),
            contact_email=r.text("contactEmail"),
            contact_name=r.text("contactName"),
            website=r.url("website"),
            vendor=r.text("vendor"),
            product=r.text("product"),
        )

    def _body(self, r: ObjectReader) -> dict[str, Any]:
        ags, problem = normalize_ags(r.text("ags"))
        if problem:
            r.note(Q11_AGS, problem)
        terms = r.embed_list("legislativeTerm", "LegislativeTerm")
        for term in r.children(LegislativeTerm):
            if term.body is None:
                term.body = r.id
        return dict(
            system=r.ref("system"),
            short_name=r.text("shortName"),
            website=r.url("website"),
            license_valid_since=r.datetime("licenseValidSince"),
            oparl_since=r.datetime("oparlSince"),
            ags=ags,
            rgs=r.text("rgs"),
            equivalent=[u for u in (r.url_of(v, "equivalent") for v in _as_list(r.obj.get("equivalent"))) if u],
            contact_email=r.text("contactEmail"),
            contact_name=r.text("contactName"),
            classification=r.text("classification"),
            location=r.embed("location", "Location"),
            legislative_term=terms,
        )

    def _legislative_term(self, r: ObjectReader) -> dict[str, Any]:
        return dict(
            body=r.ref("body") or r.parent_id("Body") or r.body,
            start_date=r.date("startDate"),
            end_date=r.date("endDate"),
        )

    def _organization(self, r: ObjectReader) -> dict[str, Any]:
        memberships = r.obj.get("membership")
        if isinstance(memberships, list) and any(isinstance(m, dict) for m in memberships):
            membership_ids = r.embed_list("membership", "Membership")
        else:
            membership_ids = r.refs("membership")
        return dict(
            body=r.ref("body") or r.body,
            short_name=r.text("shortName"),
            membership=membership_ids,
            post=r.texts("post"),
            sub_organization_of=r.ref("subOrganizationOf"),
            organization_type=r.text("organizationType"),
            classification=r.text("classification"),
            start_date=r.date("startDate"),
            end_date=r.date("endDate"),
            website=r.url("website"),
            location=r.embed("location", "Location"),
            external_body=r.ref("externalBody"),
        )

    def _person(self, r: ObjectReader) -> dict[str, Any]:
        if isinstance(r.obj.get("location"), dict):
            r.note(Q6_EMBEDDED_LOCATION, "Person.location is an object where a URL is expected")
        location_id = r.embed("location", "Location")
        if r.obj.get("locationObject") is not None:
            object_id = r.embed("locationObject", "Location")
            location_id = location_id or object_id
        membership_ids = r.embed_list("membership", "Membership")
        for membership in r.children(Membership):
            if membership.person is None and membership.id in membership_ids:
                membership.person = r.id
        return dict(
            body=r.ref("body") or r.body,
            family_name=r.text("familyName"),
            given_name=r.text("givenName"),
            form_of_address=r.text("formOfAddress"),
            affix=r.text("affix"),
            title=r.texts("title"),
            gender=r.text("gender"),
            phone=r.texts("phone"),
            email=r.texts("email"),
            location=location_id,
            status=r.texts("status"),
            membership=membership_ids,
            life=r.text("life"),
            life_source=r.text("lifeSource"),
        )

    def _membership(self, r: ObjectReader) -> dict[str, Any]:
        return dict(
            person=r.ref("person") or r.parent_id("Person"),
            organization=r.ref("organization"),
            role=r.text("role"),
            voting_right=r.boolean("votingRight"),
            start_date=r.date("startDate"),
            end_date=r.date("endDate"),
            on_behalf_of=r.ref("onBehalfOf"),
        )

    def _meeting(self, r: ObjectReader) -> dict[str, Any]:
        start = r.datetime("start")
        end = r.datetime("end")
        if start and end and end < start:
            r.note(MEETING_END_BEFORE_START, f"end {end.isoformat()} before start; end dropped")
            end = None
        items = r.embed_list("agendaItem", "AgendaItem")
        placed = (i for i in r.out if isinstance(i, (AgendaItem, _Seen)) and i.type == "AgendaItem" and i.id in items)
        for position, item in enumerate(placed):
            if not isinstance(item, AgendaItem):
                continue  # mapped before in this run, with its place then
            if item.meeting is None:
                item.meeting = r.id
            if item.order is None:
                item.order = position
        name = r.text("name")
        state = r.text("meetingState")
        cancelled = r.boolean("cancelled")
        invitation = r.embed("invitation", "File")
        results = r.embed("resultsProtocol", "File")
        verbatim = r.embed("verbatimProtocol", "File")
        return dict(
            name=name,
            # ``ris:description``: the same text as served by ris-connector's own OParl output.
            description=r.text_of(r.obj.get("description", r.obj.get("ris:description")), "description"),
            meeting_state=state,
            cancelled=cancelled,
            status=meeting_status(
                now=self.clock.now(),
                cancelled=cancelled,
                meeting_state=state,
                name=name,
                start=start,
                end=end,
                has_invitation=invitation is not None,
                has_protocol=results is not None or verbatim is not None,
            ),
            start=start,
            end=end,
            location=r.embed("location", "Location"),
            organization=r.refs("organization"),
            participant=r.refs("participant"),
            invitation=invitation,
            results_protocol=results,
            verbatim_protocol=verbatim,
            auxiliary_file=r.embed_list("auxiliaryFile", "File"),
            agenda_item=items,
        )

    def _agenda_item(self, r: ObjectReader) -> dict[str, Any]:
        if r.obj.get("number") == "":
            r.note(Q14_EMPTY_NUMBER, "AgendaItem.number is an empty string")
        start, end = r.datetime("start"), r.datetime("end")
        if start and end and end < start:
            end = None
        return dict(
            meeting=r.ref("meeting") or r.parent_id("Meeting"),
            number=r.text("number"),
            order=r.integer("order"),
            public=r.boolean("public"),
            consultation=r.ref("consultation"),
            result=r.text("result"),
            resolution_text=r.text("resolutionText"),
            resolution_file=r.embed("resolutionFile", "File"),
            auxiliary_file=r.embed_list("auxiliaryFile", "File"),
            start=start,
            end=end,
        )

    def _paper(self, r: ObjectReader) -> dict[str, Any]:
        consultations = r.embed_list("consultation", "Consultation")
        for consultation in r.children(Consultation):
            if consultation.paper is None and consultation.id in consultations:
                consultation.paper = r.id
        return dict(
            body=r.ref("body") or r.body,
            reference=r.text("reference"),
            date=r.date("date"),
            paper_type=r.text("paperType"),
            related_paper=r.refs("relatedPaper"),
            superordinated_paper=r.refs("superordinatedPaper"),
            subordinated_paper=r.refs("subordinatedPaper"),
            main_file=r.embed("mainFile", "File"),
            auxiliary_file=r.embed_list("auxiliaryFile", "File"),
            location=r.embed_list("location", "Location"),
            originator_person=r.refs("originatorPerson"),
            under_direction_of=r.refs("underDirectionOf"),
            originator_organization=r.refs("originatorOrganization"),
            consultation=consultations,
        )

    def _consultation(self, r: ObjectReader) -> dict[str, Any]:
        return dict(
            paper=r.ref("paper") or r.parent_id("Paper"),
            agenda_item=r.ref("agendaItem"),
            meeting=r.ref("meeting"),
            organization=r.refs("organization"),
            authoritative=r.boolean("authoritative"),
            role=r.text("role"),
        )

    def _file(self, r: ObjectReader) -> dict[str, Any]:
        size = r.integer("size")
        if size == 0:
            r.note(Q18_SIZE_ZERO, "File.size is 0; treated as unknown")
            size = None
        download = r.url("downloadUrl")
        if r.obj.get("downloadUrl") == "":
            r.note(Q18_PLACEHOLDER, "downloadUrl is an empty string")
        # File.meeting/agendaItem/paper are back-references that servers fill inconsistently
        # between embedded and listed copies; the store derives them from the parents instead.
        return dict(
            file_name=r.text("fileName"),
            mime_type=r.mime_type(),
            date=r.date("date"),
            size=size,
            sha1_checksum=r.text("sha1Checksum"),
            sha512_checksum=r.text("sha512Checksum"),
            text=r.text("text"),
            access_url=_file_url(r, r.obj.get("accessUrl"), "accessUrl"),
            download_url=_file_url(r, download, "downloadUrl"),
            external_service_url=r.url("externalServiceUrl"),
            master_file=r.ref("masterFile"),
            derivative_file=r.refs("derivativeFile"),
            file_license=r.text("fileLicense"),
        )

    def _location(self, r: ObjectReader) -> dict[str, Any]:
        return dict(
            description=r.text("description"),
            geojson=r.geojson("geojson" if "geojson" in r.obj else "geometry"),
            street_address=r.text("streetAddress"),
            room=r.text("room"),
            postal_code=r.text("postalCode"),
            sub_locality=r.text("subLocality"),
            locality=r.text("locality"),
        )

    #: The mapping of each record type (``models.RECORD_TYPES`` names the record classes).
    _BUILDERS: dict[str, Callable[[OParlMapper, ObjectReader], dict[str, Any]]] = {
        "System": _system,
        "Body": _body,
        "LegislativeTerm": _legislative_term,
        "Organization": _organization,
        "Person": _person,
        "Membership": _membership,
        "Meeting": _meeting,
        "AgendaItem": _agenda_item,
        "Paper": _paper,
        "Consultation": _consultation,
        "File": _file,
        "Location": _location,
    }


def _file_url(r: ValueReader, value: Any, field: str) -> str | None:
    """File URLs repaired: ``//`` in the path (quirk 8), spaces (quirk 37)."""
    text = r.url_of(value, field)
    if text is None:
        return None
    try:
        repaired = repair_url(text)
    except ValueError:
        r.note(INVALID_VALUE, f"{field}: {show(text)} is not a URL; dropped")
        return None
    if repaired != text:
        code = Q8_DOUBLE_SLASH if "//" in text.split("://", 1)[-1] else Q37_URL_CHARACTERS
        r.note(code, f"{field} repaired: {text[:100]!r}")
    return repaired


def _reason(exc: BaseException) -> str:
    """An exception as a quarantine reason (never raising, never huge)."""
    try:
        text = str(exc)
    except (ValueError, RecursionError):
        text = ""
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def is_thin(obj: Any) -> bool:
    """Whether a list entry carries no content beyond its id (quirk 13)."""
    return (
        isinstance(obj, dict)
        and len(obj) <= len(THIN_KEYS)  # a full object has more keys: no set built for it
        and obj.get("deleted") is not True
        and set(obj) <= THIN_KEYS
        and "id" in obj
    )
