"""OParl JSON objects to normalized records, flattening embedded objects.

One :class:`OParlNormalizer` per run. :meth:`OParlNormalizer.items` takes one object as a
server sent it and yields the records of the object and everything embedded in it, plus
notices for each tolerated deviation, a tombstone for a deleted object, or a rejection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cached_property, lru_cache, partial
from typing import Any

import orjson
from pydantic import ValidationError

from ris_connector.adapters.base import Item, Notice, Rejected, Tombstone
from ris_connector.adapters.oparl.fields import FieldReader, normalize_ags, show
from ris_connector.clock import Clock
from ris_connector.models import (
    AgendaItem,
    Body,
    Consultation,
    File,
    LegislativeTerm,
    Location,
    Meeting,
    Membership,
    Organization,
    Paper,
    Person,
    Record,
    System,
)
from ris_connector.normalize.ids import canonical_url, is_url, repair_url, short_type, type_from_url, url_id
from ris_connector.normalize.records import validate_record
from ris_connector.normalize.status import meeting_status
from ris_connector.normalize.text import clean_text

#: Keys that a "thin" list entry has (quirk 13: the real object must be fetched one by one).
THIN_KEYS = frozenset({"id", "type", "created", "modified", "deleted"})


#: Types that OParl 1.1 both embeds in other objects and lists on their own: their copies
#: are normalized once per run (see :meth:`OParlNormalizer._dedup_key`).
EMBEDDABLE = frozenset({"AgendaItem", "File", "Consultation", "Membership", "Location", "LegislativeTerm"})

#: How many spellings of type URIs each normalizer remembers.
_TYPE_CACHE = 256

#: How many URL spellings each normalizer keeps canonicalized (shared Locations, Organizations...).
CANONICAL_CACHE = 4096


def _on(url: str | None) -> str:
    """Where a payload without a usable id was read, for the quarantine reason.

    Such a rejection has no ``ref``: the quarantine keeps one row per record id, and the page
    URL would make every id-less object of a page one record (it is keyed by its payload).
    """
    return f" (on {url})" if url else ""


@dataclass(frozen=True)
class _Seen:
    """Placeholder in the output for an object already normalized in this run (never yielded)."""

    id: str
    type: str


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


class OParlNormalizer:
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
    ) -> None:
        self.source = source
        self.tz = tz
        self.clock = clock
        self.scheme_for = scheme_for
        self.keep_raw = keep_raw
        self.adapter_name = adapter_name
        schemes = dict(scheme_for)
        self.canonical: Callable[[str], str] = lru_cache(maxsize=CANONICAL_CACHE)(
            partial(canonical_url, scheme_for=schemes)
        )
        """The canonical id for a URL of this source (cached)."""
        self.url_id: Callable[[object], str | None] = partial(url_id, scheme_for=schemes)
        """The canonical id of a value if it is a URL, else None (one regex match when canonical)."""
        self._seen: set[int] = set()
        self._times: dict[str, datetime] = {}
        self._types: dict[str, tuple[str, bool]] = {}
        """Type string as sent -> (short type, whether the URI is spelled oddly), quirk 36."""
        self.skipped = 0
        """Copies of objects skipped because an identical copy was normalized before."""

    def _dedup_key(self, rid: str, obj: dict[str, Any]) -> int:
        """A 64-bit key of an embeddable object's id and exact content.

        In OParl 1.1 every embedded object also comes in its own list, and one Location may be
        embedded in thousands of meetings: a copy identical to one already normalized in this run
        is skipped. A copy that differs is normalized again (the later one wins, as before).
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
            return hash((rid, id(obj)))  # never equal to another copy: normalized again

    # --- entry point -------------------------------------------------------------
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
        out: list[Item | _Seen] = []
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
        out: list[Item | _Seen],
    ) -> str | None:
        """Append the items for ``obj`` to ``out``; return its id (or None if rejected)."""
        at = f"{parent.id} {field}: " if parent is not None else ""  # where an embedded object was
        if not isinstance(obj, dict):
            if isinstance(obj, str) and (ref := self.url_id(obj)) is not None:
                return ref  # a reference where an object was expected (quirk 6)
            out.append(Rejected(f"{at}expected an OParl object, got {type(obj).__name__}{_on(url)}", obj, expected))
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
        if isinstance(raw_id, str) and raw_id.strip():
            checked = self.url_id(raw_id)
            if checked is None:
                out.append(Rejected(f"{at}id {raw_id[:80]!r} is not a URL{_on(url)}", obj, type_name or expected))
                return None
            rid = checked
        elif parent is not None and raw_id in (None, ""):
            suffix = f"{field}/{index}" if index is not None else field
            rid = f"{parent.id}#{suffix}"
            out.append(Notice("oparl-q24-embedded-without-id", f"{parent.id}: embedded {field} without id"))
        else:
            out.append(Rejected(f"{at}object without id{_on(url)}", obj, type_name or expected))
            return None
        if type_name is None:
            type_name = expected or type_from_url(rid)
            if obj.get("type") is not None and short_type(obj.get("type")) is None:
                out.append(Rejected(f"{at}unknown type {show(obj.get('type'))}", obj, expected, rid))
                return None
            if type_name is None:
                out.append(Rejected(f"{at}object without type", obj, None, rid))
                return None
            code = "oparl-q4-tombstone-without-type" if obj.get("deleted") is True else "oparl-q5-missing-type"
            out.append(Notice(code, f"{rid}: no type, read as {type_name}"))
        elif odd_uri:
            out.append(Notice("oparl-q36-type-uri", f"{rid}: type URI spelled {raw_type!r}"))
        deleted = obj.get("deleted")
        if deleted is True or (isinstance(deleted, str) and deleted.strip().lower() == "true"):
            out.append(Tombstone(rid, type_name))
            return rid
        builder = self._BUILDERS.get(type_name)
        if builder is None:
            out.append(Rejected(f"{at}type {type_name} is not a record type", obj, type_name, rid))
            return None
        key = self._dedup_key(rid, obj) if type_name in EMBEDDABLE else None
        if key is not None and key in self._seen:
            self.skipped += 1
            out.append(_Seen(rid, type_name))
            return rid
        notices: list[Notice] = []
        reader = FieldReader(tz=self.tz, canonical=self.canonical, notices=notices, where=rid, times=self._times)
        try:
            children: list[Item | _Seen] = []
            fields = builder(self, obj, rid, reader, body, parent, children)
            self._common(fields, type_name, obj, reader, body, parent, url)
            record, dropped = validate_record(_RECORD_TYPES[type_name], fields, by_name=True)
        except (ValidationError, ValueError, TypeError, OverflowError, RecursionError) as exc:
            out.append(Rejected(f"cannot normalize {type_name}: {_reason(exc)}", obj, type_name, rid))
            return None
        for value in dropped:
            reader.note("invalid-value", str(value))
        if key is not None:
            self._seen.add(key)
        out.extend(notices)
        out.extend(children)
        out.append(record)
        return rid

    # --- shared fields -----------------------------------------------------------
    def _common(
        self,
        f: dict[str, Any],
        type_name: str,
        obj: dict[str, Any],
        r: FieldReader,
        body: str | None,
        parent: Parent | None,
        url: str | None,
    ) -> None:
        """Add the fields every record has to the type's fields ``f``."""
        if f.get("name") is None:
            f["name"] = r.text(obj.get("name"), "name")
        created = r.datetime(obj.get("created"), "created")
        modified = r.datetime(obj.get("modified"), "modified")
        if parent is not None and created is None and modified is None:
            created, modified = parent.created, parent.modified
            r.note("oparl-q26-inherited-dates", "embedded object without created/modified; parent's used")
        if created and modified and created > modified:
            r.note("oparl-q26-created-after-modified", "created is after modified; modified set to created")
            modified = created
        f["created"], f["modified"] = created, modified
        f["keyword"] = r.texts(obj.get("keyword"), "keyword")
        f["web"] = r.url(obj.get("web"), "web")
        license_ = f["license"] = r.text(obj.get("license"), "license")
        if license_ is not None and not is_url(license_):
            r.note("oparl-q38-license-text", f"license is free text, kept as given: {license_[:60]!r}")
        if f.get("body") is None and body is not None and type_name != "Body":
            f["body"] = body
        raw_id = obj.get("id")
        f["provenance"] = {
            "source": self.source,
            "adapter": self.adapter_name,
            "original_id": raw_id if isinstance(raw_id, str) else None,
            "url": url,
            "fetched_at": self.clock.now(),
        }
        if self.keep_raw:
            f["raw"] = obj

    def _embed(
        self,
        value: Any,
        expected: str,
        field: str,
        owner: Parent,
        body: str | None,
        out: list[Item | _Seen],
        index: int | None = None,
    ) -> str | None:
        """Flatten one embedded object (or take a URL given instead, quirk 6); return its id.

        Anything else (a number, a list of several, text that is no URL) is dropped with a notice.
        """
        if value is None or value == "" or value == {}:
            return None
        if isinstance(value, str):
            rid = self.url_id(value)
            if rid is None:
                code = "invalid-reference" if clean_text(value) is not None else "oparl-q18-placeholder"
                out.append(Notice(code, f"{owner.id}: {field}: {show(value)} is not a URL; dropped"))
            return rid
        if isinstance(value, list) and len(value) == 1 and index is None:
            out.append(Notice("oparl-q7-array", f"{owner.id}: {field}: one-element array where an object is expected"))
            return self._embed(value[0], expected, field, owner, body, out)
        if not isinstance(value, dict):
            what = f"{len(value)} values" if isinstance(value, list) else show(value)
            out.append(Notice("invalid-value", f"{owner.id}: {field}: {what} where an object is expected; dropped"))
            return None
        return self._object(value, expected, body, None, owner, field, index, out)

    def _embed_list(
        self,
        value: Any,
        expected: str,
        field: str,
        owner: Parent,
        body: str | None,
        out: list[Item | _Seen],
        r: FieldReader,
    ) -> list[str]:
        """Flatten a list of embedded objects; a single object is wrapped (quirk 19)."""
        if value is None:
            return []
        if not isinstance(value, list):
            r.note("oparl-q19-single-object", f"{field}: single object where an array is expected")
            value = [value]
        ids: list[str] = []
        for i, item in enumerate(value):
            rid = self._embed(item, expected, field, owner, body, out, index=i)
            if rid and rid not in ids:
                ids.append(rid)
        return ids

    def _owner(self, rid: str, type_name: str, obj: dict[str, Any], parent: Parent | None = None) -> Parent:
        """``rid`` as the parent of its embedded objects; dates it lacks come from its own parent (quirk 26)."""

        def dates() -> tuple[datetime | None, datetime | None]:
            r = FieldReader(tz=self.tz, canonical=self.canonical, notices=[], where=rid, times=self._times)
            created, modified = r.datetime(obj.get("created")), r.datetime(obj.get("modified"))
            if parent is not None and created is None and modified is None:
                return parent.created, parent.modified
            return created, modified

        return Parent(rid, type_name, dates)

    # --- per type ----------------------------------------------------------------
    def _system(
        self,
        o: dict[str, Any],
        rid: str,
        r: FieldReader,
        body: str | None,
        parent: Parent | None,
        out: list[Item | _Seen],
    ) -> dict[str, Any]:
        # ``body`` (the Body list URL) is left out: Bodies name their System.
        return dict(  # System
            id=rid,
            oparl_version=r.text(o.get("oparlVersion"), "oparlVersion"),
            other_oparl_versions=r.refs(o.get("otherOparlVersions", o.get("otherOParlVersions")), "otherOparlVersions"),
            contact_email=r.text(o.get("contactEmail"), "contactEmail"),
            contact_name=r.text(o.get("contactName"), "contactName"),
            website=r.url(o.get("website"), "website"),
            vendor=r.text(o.get("vendor"), "vendor"),
            product=r.text(o.get("product"), "product"),
        )

    def _body(
        self,
        o: dict[str, Any],
        rid: str,
        r: FieldReader,
        body: str | None,
        parent: Parent | None,
        out: list[Item | _Seen],
    ) -> dict[str, Any]:
        owner = self._owner(rid, "Body", o, parent)
        ags, problem = normalize_ags(r.text(o.get("ags"), "ags"))
        if problem:
            r.note("oparl-q11-ags", problem)
        terms = self._embed_list(o.get("legislativeTerm"), "LegislativeTerm", "legislativeTerm", owner, rid, out, r)
        for item in out:
            if isinstance(item, LegislativeTerm) and item.body is None:
                item.body = rid
        return dict(  # Body
            id=rid,
            system=r.ref(o.get("system"), "system"),
            short_name=r.text(o.get("shortName"), "shortName"),
            website=r.url(o.get("website"), "website"),
            license_valid_since=r.datetime(o.get("licenseValidSince"), "licenseValidSince"),
            oparl_since=r.datetime(o.get("oparlSince"), "oparlSince"),
            ags=ags,
            rgs=r.text(o.get("rgs"), "rgs"),
            equivalent=[u for u in (r.url(v, "equivalent") for v in _as_list(o.get("equivalent"))) if u],
            contact_email=r.text(o.get("contactEmail"), "contactEmail"),
            contact_name=r.text(o.get("contactName"), "contactName"),
            classification=r.text(o.get("classification"), "classification"),
            location=self._embed(o.get("location"), "Location", "location", owner, rid, out),
            legislative_term=terms,
        )

    def _legislative_term(
        self,
        o: dict[str, Any],
        rid: str,
        r: FieldReader,
        body: str | None,
        parent: Parent | None,
        out: list[Item | _Seen],
    ) -> dict[str, Any]:
        return dict(  # LegislativeTerm
            id=rid,
            body=r.ref(o.get("body"), "body") or (parent.id if parent and parent.type == "Body" else body),
            start_date=r.date(o.get("startDate"), "startDate"),
            end_date=r.date(o.get("endDate"), "endDate"),
        )

    def _organization(
        self,
        o: dict[str, Any],
        rid: str,
        r: FieldReader,
        body: str | None,
        parent: Parent | None,
        out: list[Item | _Seen],
    ) -> dict[str, Any]:
        owner = self._owner(rid, "Organization", o, parent)
        memberships = o.get("membership")
        if isinstance(memberships, list) and any(isinstance(m, dict) for m in memberships):
            membership_ids = self._embed_list(memberships, "Membership", "membership", owner, body, out, r)
        else:
            membership_ids = r.refs(memberships, "membership")
        return dict(  # Organization
            id=rid,
            body=r.ref(o.get("body"), "body") or body,
            short_name=r.text(o.get("shortName"), "shortName"),
            membership=membership_ids,
            post=r.texts(o.get("post"), "post"),
            sub_organization_of=r.ref(o.get("subOrganizationOf"), "subOrganizationOf"),
            organization_type=r.text(o.get("organizationType"), "organizationType"),
            classification=r.text(o.get("classification"), "classification"),
            start_date=r.date(o.get("startDate"), "startDate"),
            end_date=r.date(o.get("endDate"), "endDate"),
            website=r.url(o.get("website"), "website"),
            location=self._embed(o.get("location"), "Location", "location", owner, body, out),
            external_body=r.ref(o.get("externalBody"), "externalBody"),
        )

    def _person(
        self,
        o: dict[str, Any],
        rid: str,
        r: FieldReader,
        body: str | None,
        parent: Parent | None,
        out: list[Item | _Seen],
    ) -> dict[str, Any]:
        owner = self._owner(rid, "Person", o, parent)
        location = o.get("location")
        if isinstance(location, dict):
            r.note("oparl-q6-embedded-location", "Person.location is an object where a URL is expected")
        location_id = self._embed(location, "Location", "location", owner, body, out)
        if o.get("locationObject") is not None:
            object_id = self._embed(o.get("locationObject"), "Location", "locationObject", owner, body, out)
            location_id = location_id or object_id
        membership_ids = self._embed_list(o.get("membership"), "Membership", "membership", owner, body, out, r)
        for item in out:
            if isinstance(item, Membership) and item.person is None and item.id in membership_ids:
                item.person = rid
        return dict(  # Person
            id=rid,
            body=r.ref(o.get("body"), "body") or body,
            family_name=r.text(o.get("familyName"), "familyName"),
            given_name=r.text(o.get("givenName"), "givenName"),
            form_of_address=r.text(o.get("formOfAddress"), "formOfAddress"),
            affix=r.text(o.get("affix"), "affix"),
            title=r.texts(o.get("title"), "title"),
            gender=r.text(o.get("gender"), "gender"),
            phone=r.texts(o.get("phone"), "phone"),
            email=r.texts(o.get("email"), "email"),
            location=location_id,
            status=r.texts(o.get("status"), "status"),
            membership=membership_ids,
            life=r.text(o.get("life"), "life"),
            life_source=r.text(o.get("lifeSource"), "lifeSource"),
        )

    def _membership(
        self,
        o: dict[str, Any],
        rid: str,
        r: FieldReader,
        body: str | None,
        parent: Parent | None,
        out: list[Item | _Seen],
    ) -> dict[str, Any]:
        return dict(  # Membership
            id=rid,
            person=r.ref(o.get("person"), "person") or (parent.id if parent and parent.type == "Person" else None),
            organization=r.ref(o.get("organization"), "organization"),
            role=r.text(o.get("role"), "role"),
            voting_right=r.boolean(o.get("votingRight"), "votingRight"),
            start_date=r.date(o.get("startDate"), "startDate"),
            end_date=r.date(o.get("endDate"), "endDate"),
            on_behalf_of=r.ref(o.get("onBehalfOf"), "onBehalfOf"),
        )

    def _meeting(
        self,
        o: dict[str, Any],
        rid: str,
        r: FieldReader,
        body: str | None,
        parent: Parent | None,
        out: list[Item | _Seen],
    ) -> dict[str, Any]:
        owner = self._owner(rid, "Meeting", o, parent)
        start = r.datetime(o.get("start"), "start")
        end = r.datetime(o.get("end"), "end")
        if start and end and end < start:
            r.note("meeting-end-before-start", f"end {end.isoformat()} before start; end dropped")
            end = None
        items = self._embed_list(o.get("agendaItem"), "AgendaItem", "agendaItem", owner, body, out, r)
        placed = (i for i in out if isinstance(i, (AgendaItem, _Seen)) and i.type == "AgendaItem" and i.id in items)
        for position, item in enumerate(placed):
            if not isinstance(item, AgendaItem):
                continue  # normalized before in this run, with its place then
            if item.meeting is None:
                item.meeting = rid
            if item.order is None:
                item.order = position
        name = r.text(o.get("name"), "name")
        state = r.text(o.get("meetingState"), "meetingState")
        cancelled = r.boolean(o.get("cancelled"), "cancelled")
        invitation = self._embed(o.get("invitation"), "File", "invitation", owner, body, out)
        results = self._embed(o.get("resultsProtocol"), "File", "resultsProtocol", owner, body, out)
        verbatim = self._embed(o.get("verbatimProtocol"), "File", "verbatimProtocol", owner, body, out)
        return dict(  # Meeting
            id=rid,
            name=name,
            # ``ris:description``: the same text as served by ris-connector's own OParl output.
            description=r.text(o.get("description", o.get("ris:description")), "description"),
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
            location=self._embed(o.get("location"), "Location", "location", owner, body, out),
            organization=r.refs(o.get("organization"), "organization"),
            participant=r.refs(o.get("participant"), "participant"),
            invitation=invitation,
            results_protocol=results,
            verbatim_protocol=verbatim,
            auxiliary_file=self._embed_list(o.get("auxiliaryFile"), "File", "auxiliaryFile", owner, body, out, r),
            agenda_item=items,
        )

    def _agenda_item(
        self,
        o: dict[str, Any],
        rid: str,
        r: FieldReader,
        body: str | None,
        parent: Parent | None,
        out: list[Item | _Seen],
    ) -> dict[str, Any]:
        owner = self._owner(rid, "AgendaItem", o, parent)
        number = o.get("number")
        if number == "":
            r.note("oparl-q14-empty-number", "AgendaItem.number is an empty string")
        start, end = r.datetime(o.get("start"), "start"), r.datetime(o.get("end"), "end")
        if start and end and end < start:
            end = None
        return dict(  # AgendaItem
            id=rid,
            meeting=r.ref(o.get("meeting"), "meeting") or (parent.id if parent and parent.type == "Meeting" else None),
            number=r.text(number, "number"),
            order=r.integer(o.get("order"), "order"),
            public=r.boolean(o.get("public"), "public"),
            consultation=r.ref(o.get("consultation"), "consultation"),
            result=r.text(o.get("result"), "result"),
            resolution_text=r.text(o.get("resolutionText"), "resolutionText"),
            resolution_file=self._embed(o.get("resolutionFile"), "File", "resolutionFile", owner, body, out),
            auxiliary_file=self._embed_list(o.get("auxiliaryFile"), "File", "auxiliaryFile", owner, body, out, r),
            start=start,
            end=end,
        )

    def _paper(
        self,
        o: dict[str, Any],
        rid: str,
        r: FieldReader,
        body: str | None,
        parent: Parent | None,
        out: list[Item | _Seen],
    ) -> dict[str, Any]:
        owner = self._owner(rid, "Paper", o, parent)
        consultations = self._embed_list(o.get("consultation"), "Consultation", "consultation", owner, body, out, r)
        for item in out:
            if isinstance(item, Consultation) and item.paper is None and item.id in consultations:
                item.paper = rid
        return dict(  # Paper
            id=rid,
            body=r.ref(o.get("body"), "body") or body,
            reference=r.text(o.get("reference"), "reference"),
            date=r.date(o.get("date"), "date"),
            paper_type=r.text(o.get("paperType"), "paperType"),
            related_paper=r.refs(o.get("relatedPaper"), "relatedPaper"),
            superordinated_paper=r.refs(o.get("superordinatedPaper"), "superordinatedPaper"),
            subordinated_paper=r.refs(o.get("subordinatedPaper"), "subordinatedPaper"),
            main_file=self._embed(o.get("mainFile"), "File", "mainFile", owner, body, out),
            auxiliary_file=self._embed_list(o.get("auxiliaryFile"), "File", "auxiliaryFile", owner, body, out, r),
            location=self._embed_list(o.get("location"), "Location", "location", owner, body, out, r),
            originator_person=r.refs(o.get("originatorPerson"), "originatorPerson"),
            under_direction_of=r.refs(o.get("underDirectionOf"), "underDirectionOf"),
            originator_organization=r.refs(o.get("originatorOrganization"), "originatorOrganization"),
            consultation=consultations,
        )

    def _consultation(
        self,
        o: dict[str, Any],
        rid: str,
        r: FieldReader,
        body: str | None,
        parent: Parent | None,
        out: list[Item | _Seen],
    ) -> dict[str, Any]:
        return dict(  # Consultation
            id=rid,
            paper=r.ref(o.get("paper"), "paper") or (parent.id if parent and parent.type == "Paper" else None),
            agenda_item=r.ref(o.get("agendaItem"), "agendaItem"),
            meeting=r.ref(o.get("meeting"), "meeting"),
            organization=r.refs(o.get("organization"), "organization"),
            authoritative=r.boolean(o.get("authoritative"), "authoritative"),
            role=r.text(o.get("role"), "role"),
        )

    def _file(
        self,
        o: dict[str, Any],
        rid: str,
        r: FieldReader,
        body: str | None,
        parent: Parent | None,
        out: list[Item | _Seen],
    ) -> dict[str, Any]:
        size = r.integer(o.get("size"), "size")
        if size == 0:
            r.note("oparl-q18-size-zero", "File.size is 0; treated as unknown")
            size = None
        download = r.url(o.get("downloadUrl"), "downloadUrl")
        if o.get("downloadUrl") == "":
            r.note("oparl-q18-placeholder", "downloadUrl is an empty string")
        # File.meeting/agendaItem/paper are back-references that servers fill inconsistently
        # between embedded and listed copies; the store derives them from the parents instead.
        return dict(  # File
            id=rid,
            file_name=r.text(o.get("fileName"), "fileName"),
            mime_type=r.mime_type(o.get("mimeType")),
            date=r.date(o.get("date"), "date"),
            size=size,
            sha1_checksum=r.text(o.get("sha1Checksum"), "sha1Checksum"),
            sha512_checksum=r.text(o.get("sha512Checksum"), "sha512Checksum"),
            text=r.text(o.get("text"), "text"),
            access_url=self._file_url(r, o.get("accessUrl"), "accessUrl"),
            download_url=self._file_url(r, download, "downloadUrl"),
            external_service_url=r.url(o.get("externalServiceUrl"), "externalServiceUrl"),
            master_file=r.ref(o.get("masterFile"), "masterFile"),
            derivative_file=r.refs(o.get("derivativeFile"), "derivativeFile"),
            file_license=r.text(o.get("fileLicense"), "fileLicense"),
        )

    @staticmethod
    def _file_url(r: FieldReader, value: Any, field: str) -> str | None:
        """File URLs repaired: ``//`` in the path (quirk 8), spaces (quirk 37)."""
        text = r.url(value, field)
        if text is None:
            return None
        try:
            repaired = repair_url(text)
        except ValueError:
            r.note("invalid-value", f"{field}: {show(text)} is not a URL; dropped")
            return None
        if repaired != text:
            code = "oparl-q8-double-slash" if "//" in text.split("://", 1)[-1] else "oparl-q37-url-characters"
            r.note(code, f"{field} repaired: {text[:100]!r}")
        return repaired

    def _location(
        self,
        o: dict[str, Any],
        rid: str,
        r: FieldReader,
        body: str | None,
        parent: Parent | None,
        out: list[Item | _Seen],
    ) -> dict[str, Any]:
        geo_field = "geojson" if "geojson" in o else "geometry"
        return dict(  # Location
            id=rid,
            description=r.text(o.get("description"), "description"),
            geojson=r.geojson(o.get(geo_field), geo_field),
            street_address=r.text(o.get("streetAddress"), "streetAddress"),
            room=r.text(o.get("room"), "room"),
            postal_code=r.text(o.get("postalCode"), "postalCode"),
            sub_locality=r.text(o.get("subLocality"), "subLocality"),
            locality=r.text(o.get("locality"), "locality"),
        )

    _BUILDERS: dict[
        str,
        Callable[
            [OParlNormalizer, dict[str, Any], str, FieldReader, str | None, Parent | None, list[Item | _Seen]],
            dict[str, Any],
        ],
    ] = {
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


#: Record class per type name.
_RECORD_TYPES: dict[str, type[Record]] = {
    cls.__name__: cls
    for cls in (
        System,
        Body,
        LegislativeTerm,
        Organization,
        Person,
        Membership,
        Meeting,
        AgendaItem,
        Paper,
        Consultation,
        File,
        Location,
    )
}


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
    return isinstance(obj, dict) and obj.get("deleted") is not True and set(obj) <= THIN_KEYS and "id" in obj
