"""What the OParl 1.1 schema fixes per type: which attributes embed objects, which hold URLs.

Facts from the OParl 1.1 schema (``"type": "object", "schema": ...`` = embedded, ``format: url`` =
reference). Keys are the JSON (camelCase) names used by the store and by OParl alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

OPARL_VERSION = "https://schema.oparl.org/1.1/"
SCHEMA_BASE = "https://schema.oparl.org/1.1/"

#: Body attribute of each external list -> record type of its entries.
BODY_LISTS: dict[str, str] = {
    "organization": "Organization",
    "person": "Person",
    "meeting": "Meeting",
    "paper": "Paper",
    "agendaItem": "AgendaItem",
    "consultation": "Consultation",
    "file": "File",
    "locationList": "Location",
    "legislativeTermList": "LegislativeTerm",
    "membership": "Membership",
}

#: Attributes every OParl object may have.
COMMON = ("name", "keyword", "web", "license")

#: The vendor prefix of every property the output adds beyond the OParl 1.1 schema (OParl 1.1,
#: "Herstellerspezifische Erweiterungen": ``herstellera:newWonderProperty``).
PREFIX = "ris:"
#: The record's id in the store (the source's URL, or ``urn:ris:...``).
ORIGINAL_ID = PREFIX + "originalId"
#: ``created``/``modified`` as the source stamped them (the plain ones are the store's).
SOURCE_CREATED = PREFIX + "sourceCreated"
SOURCE_MODIFIED = PREFIX + "sourceModified"

#: Plain attributes that the 1.1 schema types as URLs (``format: url``). A stored value that is
#: no http(s) URL (a licence named in words, a product described in a sentence) is served under
#: the prefixed name instead (``ris:license``), so the spec's attribute only ever holds a URL.
URL_ATTRIBUTES = frozenset(
    {"license", "web", "website", "fileLicense", "accessUrl", "downloadUrl", "externalServiceUrl", "vendor", "product"}
)


#: Stored attributes that the 1.1 schema does not have; served with the prefix.
EXTENSIONS: dict[str, tuple[str, ...]] = {"Meeting": ("description",)}

#: References the spec requires only when the object is read on its own ("muss nur dann ausgegeben
#: werden, wenn das Objekt einzeln abgerufen wird, d.h. nicht Teil einer internen Ausgabe ist").
#: Embedded, the output leaves such a reference out when it names the parent the object is
#: embedded in (it says nothing the parent does not); a reference to another object stays.
PARENT_REFERENCES: dict[str, tuple[str, ...]] = {
    "AgendaItem": ("meeting",),
    "Consultation": ("paper", "agendaItem", "meeting"),
    "LegislativeTerm": ("body",),
    "Membership": ("person",),
}


@dataclass(frozen=True)
class TypeSpec:
    """How one OParl type is written."""

    plain: tuple[str, ...] = ()
    """Attributes passed through as stored (text, numbers, dates, arrays of text, GeoJSON)."""
    refs: tuple[str, ...] = ()
    """Attributes holding the URL of one object."""
    ref_lists: tuple[str, ...] = ()
    """Attributes holding an array of object URLs."""
    embeds: dict[str, str] = field(default_factory=dict)
    """Attribute -> type of the one object written inside the parent."""
    embed_lists: dict[str, str] = field(default_factory=dict)
    """Attribute -> type of the objects written inside the parent as an array."""
    backrefs: dict[str, str] = field(default_factory=dict)
    """Attribute -> type of the records whose references to this one it lists (derived from the store).

    The spec gives these only when the object is not embedded ("Wird nur dann ausgegeben, wenn das
    Objekt nicht als eingebettetes Objekt aufgerufen wird"): File and Location."""
    has_body: bool = False
    """Whether the type has a ``body`` attribute."""


TYPES: dict[str, TypeSpec] = {
    "Body": TypeSpec(
        plain=(
            "shortName",
            "website",
            "licenseValidSince",
            "oparlSince",
            "ags",
            "rgs",
            "equivalent",
            "contactEmail",
            "contactName",
            "classification",
        ),
        embeds={"location": "Location"},
        embed_lists={"legislativeTerm": "LegislativeTerm"},
    ),
    "LegislativeTerm": TypeSpec(plain=("startDate", "endDate"), has_body=True),
    "Organization": TypeSpec(
        plain=("shortName", "post", "organizationType", "classification", "startDate", "endDate", "website"),
        refs=("subOrganizationOf", "externalBody"),
        ref_lists=("membership",),
        embeds={"location": "Location"},
        has_body=True,
    ),
    "Person": TypeSpec(
        plain=(
            "familyName",
            "givenName",
            "formOfAddress",
            "affix",
            "title",
            "gender",
            "phone",
            "email",
            "status",
            "life",
            "lifeSource",
        ),
        refs=("location",),
        embeds={"locationObject": "Location"},
        embed_lists={"membership": "Membership"},
        has_body=True,
    ),
    "Membership": TypeSpec(
        plain=("role", "votingRight", "startDate", "endDate"),
        refs=("person", "organization", "onBehalfOf"),
    ),
    "Meeting": TypeSpec(
        # ``description`` (calendar sources carry one) is not an OParl 1.1 attribute: EXTENSIONS.
        plain=("meetingState", "cancelled", "start", "end"),
        ref_lists=("organization", "participant"),
        embeds={
            "location": "Location",
            "invitation": "File",
            "resultsProtocol": "File",
            "verbatimProtocol": "File",
        },
        embed_lists={"auxiliaryFile": "File", "agendaItem": "AgendaItem"},
    ),
    "AgendaItem": TypeSpec(
        plain=("number", "order", "public", "result", "resolutionText", "start", "end"),
        refs=("meeting", "consultation"),
        embeds={"resolutionFile": "File"},
        embed_lists={"auxiliaryFile": "File"},
    ),
    "Paper": TypeSpec(
        plain=("reference", "date", "paperType"),
        ref_lists=(
            "relatedPaper",
            "superordinatedPaper",
            "subordinatedPaper",
            "originatorPerson",
            "underDirectionOf",
            "originatorOrganization",
        ),
        embeds={"mainFile": "File"},
        embed_lists={"auxiliaryFile": "File", "location": "Location", "consultation": "Consultation"},
        has_body=True,
    ),
    "Consultation": TypeSpec(
        plain=("authoritative", "role"),
        refs=("paper", "agendaItem", "meeting"),
        ref_lists=("organization",),
    ),
    "File": TypeSpec(
        plain=(
            "fileName",
            "mimeType",
            "date",
            "size",
            "sha1Checksum",
            "sha512Checksum",
            "text",
            "accessUrl",
            "downloadUrl",
            "externalServiceUrl",
            "fileLicense",
        ),
        refs=("masterFile",),
        ref_lists=("derivativeFile",),
        backrefs={"meeting": "Meeting", "agendaItem": "AgendaItem", "paper": "Paper"},
    ),
    "Location": TypeSpec(
        plain=("description", "geojson", "streetAddress", "room", "postalCode", "subLocality", "locality"),
        backrefs={
            "bodies": "Body",
            "organizations": "Organization",
            "persons": "Person",
            "meetings": "Meeting",
            "papers": "Paper",
        },
    ),
}

#: Record types the output publishes (Appointment never is).
PUBLISHED = frozenset(TYPES)


#: Attributes the schema requires beyond id and type (kept even with ``omit_internal``).
REQUIRED_EMBEDS = {"Body": ("legislativeTerm",)}

#: URL path word of each type's objects.
PATH_WORD = {name: name.lower() for name in TYPES}
TYPE_OF_WORD = {word: name for name, word in PATH_WORD.items()}


def embedded_children(type_name: str, data: Mapping[str, object]) -> list[str]:
    """Ids of the records a stored record of ``type_name`` embeds, in order."""
    return [child for child, _ in embedded_pairs(type_name, data)]


def embedded_pairs(type_name: str, data: Mapping[str, object]) -> list[tuple[str, str]]:
    """(id, expected type) of the records a stored record of ``type_name`` embeds, in order."""
    spec = TYPES.get(type_name)
    if spec is None:
        return []
    out: list[tuple[str, str]] = []
    for attr, child_type in spec.embeds.items():
        value = data.get(_stored_key(type_name, attr))
        if isinstance(value, str):
            out.append((value, child_type))
    for attr, child_type in spec.embed_lists.items():
        value = data.get(attr)
        if isinstance(value, list):
            out.extend((v, child_type) for v in value if isinstance(v, str))
    return out


def _stored_key(type_name: str, attr: str) -> str:
    """The store's key for an OParl attribute (Person.locationObject is kept in ``location``)."""
    return "location" if (type_name, attr) == ("Person", "locationObject") else attr


stored_key = _stored_key


#: Per record type, the attributes (stored keys) that name the Files and Locations whose
#: back-reference lists (``TypeSpec.backrefs``) count the record: what it embeds of these types,
#: and a Person's ``location``.
BACKREF_KEYS: dict[str, tuple[str, ...]] = {
    src: tuple(
        dict.fromkeys(
            [stored_key(src, a) for a, t in {**spec.embeds, **spec.embed_lists}.items() if t in ("File", "Location")]
            + (["location"] if src == "Person" else [])
        )
    )
    for src, spec in TYPES.items()
    if any(src in TYPES[t].backrefs.values() for t in ("File", "Location"))
}


def _rank(type_name: str) -> int:
    children = {*TYPES[type_name].embeds.values(), *TYPES[type_name].embed_lists.values()}
    return 1 + max(_rank(c) for c in children) if children else 0


#: How deep each type embeds (File 0, AgendaItem 1, Meeting 2): children before parents.
EMBED_RANK: dict[str, int] = {name: _rank(name) for name in TYPES}
