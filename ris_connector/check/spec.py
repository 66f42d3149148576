"""The OParl object model as a conformance check reads it: per type, each field's JSON shape,
the type a reference points to, and the required fields.

These are facts of the OParl specification's schema files (the 1.0 schema, whose shapes and
required fields the reference validator oparl-validator-rs also checks; 1.1 adds lists such as
``Body.file``, which are unknown fields here and not checked). Shapes:

``str`` text · ``url`` a URL (not a reference) · ``bool`` · ``int`` non-negative integer ·
``map`` a JSON object (GeoJSON) · ``strs``/``urls`` a list of those · ``ref:T`` / ``refs:T`` one or
a list of URLs of objects of type T · ``obj:T`` / ``objs:T`` one or a list of embedded objects.
``null`` is accepted for every field (a field given as ``null`` counts as absent).
"""

from __future__ import annotations

from dataclasses import dataclass

_COMMON = "id url; type str; keyword strs; web url"
_DATED = "created str; modified str; deleted bool"

_TYPES: dict[str, str] = {
    "System": "oparlVersion str; otherOparlVersions refs:System; license url; body url; name str; contactEmail str; "
    "contactName str; website url; vendor url; product url; " + _DATED,
    "Body": "system ref:System; shortName str; name str; website url; license url; licenseValidSince str; "
    "oparlSince str; ags str; rgs str; equivalent urls; contactEmail str; contactName str; organization url; "
    "person url; meeting url; paper url; legislativeTerm objs:LegislativeTerm; classification str; "
    "location obj:Location; " + _DATED,
    "LegislativeTerm": "body ref:Body; name str; startDate str; endDate str",
    "Organization": "body ref:Body; name str; membership refs:Membership; meeting ref:Meeting; shortName str; "
    "post strs; subOrganizationOf ref:Organization; organizationType str; classification str; startDate str; "
    "endDate str; website url; location obj:Location; externalBody ref:Body; " + _DATED,
    "Person": "body ref:Body; name str; familyName str; givenName str; formOfAddress str; affix str; title strs; "
    "gender str; phone strs; email strs; location ref:Location; status strs; membership objs:Membership; "
    "life str; lifeSource str; " + _DATED,
    "Membership": "person ref:Person; organization ref:Organization; role str; votingRight bool; startDate str; "
    "endDate str; onBehalfOf ref:Organization",
    "Meeting": "name str; meetingState str; cancelled bool; start str; end str; location obj:Location; "
    "organization refs:Organization; participant refs:Person; invitation obj:File; resultsProtocol obj:File; "
    "verbatimProtocol obj:File; auxiliaryFile objs:File; agendaItem objs:AgendaItem; " + _DATED,
    "AgendaItem": "meeting ref:Meeting; number str; name str; public bool; consultation ref:Consultation; "
    "result str; resolutionText str; resolutionFile obj:File; auxiliaryFile objs:File; start str; end str",
    "Paper": "body ref:Body; name str; reference str; date str; paperType str; relatedPaper refs:Paper; "
    "superordinatedPaper refs:Paper; subordinatedPaper refs:Paper; mainFile obj:File; auxiliaryFile objs:File; "
    "location objs:Location; originatorPerson refs:Person; underDirectionOf refs:Organization; "
    "originatorOrganization refs:Organization; consultation objs:Consultation; " + _DATED,
    "Consultation": "paper ref:Paper; agendaItem ref:AgendaItem; meeting ref:Meeting; organization refs:Organization; "
    "authoritative bool; role str",
    "File": "name str; fileName str; mimeType str; date str; size int; sha1Checksum str; text str; accessUrl url; "
    "downloadUrl url; externalServiceUrl url; masterFile ref:File; derivativeFile refs:File; fileLicense url; "
    "meeting refs:Meeting; agendaItem refs:AgendaItem; paper refs:Paper; " + _DATED,
    "Location": "description str; geojson map; streetAddress str; room str; postalCode str; subLocality str; "
    "locality str; bodies refs:Body; organization refs:Organization; meeting refs:Meeting; papers refs:Paper; "
    + _DATED,
}

#: Required fields per type (absent or null: a problem).
REQUIRED: dict[str, tuple[str, ...]] = {
    "System": ("id", "type", "oparlVersion", "body"),
    "Body": ("id", "type", "name", "organization", "person", "meeting", "paper", "legislativeTerm"),
    "File": ("id", "type", "accessUrl"),
}
DEFAULT_REQUIRED = ("id", "type")
#: The Body lists the reference validator walks, in its order.
VALIDATED_LISTS = {"paper": "Paper", "organization": "Organization", "person": "Person", "meeting": "Meeting"}


@dataclass(frozen=True)
class Field:
    """One field: its JSON shape, whether it holds a list, and the type it refers to or embeds."""

    name: str
    shape: str  # str | url | bool | int | map | ref | obj
    many: bool
    target: str | None = None


def _parse(spec: str) -> dict[str, Field]:
    out: dict[str, Field] = {}
    for part in spec.split(";"):
        name, kind = part.split()
        target = None
        if ":" in kind:
            kind, target = kind.split(":")
        many = kind in ("strs", "urls", "refs", "objs")
        shape = {"strs": "str", "urls": "url", "refs": "ref", "objs": "obj"}.get(kind, kind)
        out[name] = Field(name, shape, many, target)
    return out


FIELDS: dict[str, dict[str, Field]] = {t: _parse(f"{_COMMON}; {spec}") for t, spec in _TYPES.items()}
del FIELDS["System"]["keyword"]  # the one type without keywords


def required(type_name: str) -> tuple[str, ...]:
    """The fields ``type_name`` must have."""
    return REQUIRED.get(type_name, DEFAULT_REQUIRED)
