"""What the OParl 1.1 schema fixes per type: which attributes embed objects, which hold URLs.

Facts from the OParl 1.1 schema (``"type": "object", "schema": ...`` = embedded, ``format: url`` =
reference). Keys are the JSON (camelCase) names used by the store and by OParl alike.
"""

from __future__ import annotations

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
    """Attribute -> type of the records whose references to this one it lists (derived from the store)."""
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
        # ``description`` is not an OParl 1.1 attribute; OParl allows extra properties
        # ("Erweiterbarkeit") and calendar sources carry one, so it is passed through.
        plain=("meetingState", "cancelled", "start", "end", "description"),
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


def embedded_children(type_name: str, data: dict[str, object]) -> list[str]:
    """Ids of the records a stored record of ``type_name`` embeds, in order."""
    spec = TYPES.get(type_name)
    if spec is None:
        return []
    out: list[str] = []
    for attr in spec.embeds:
        value = data.get(_stored_key(type_name, attr))
        if isinstance(value, str):
            out.append(value)
    for attr in spec.embed_lists:
        value = data.get(attr)
        if isinstance(value, list):
            out.extend(v for v in value if isinstance(v, str))
    return out


def _stored_key(type_name: str, attr: str) -> str:
    """The store's key for an OParl attribute (Person.locationObject is kept in ``location``)."""
    return "location" if (type_name, attr) == ("Person", "locationObject") else attr


stored_key = _stored_key
