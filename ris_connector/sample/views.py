"""Served JSON views of stored objects: embedding, tombstones and quirk transformations."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from ris_connector.sample.dataset import BERLIN, EMBEDDED, Dataset, JsonObj, short_type

#: Quirk names; each reproduces a row of the quirk catalogue (ris_connector/notices/quirks.py, rendered
#: to docs/quirks.md; see OParlServer docs).
QUIRKS: frozenset[str] = frozenset(
    {
        "empty_404",
        "empty_array",
        "body_single",
        "tombstone_no_type",
        "embedded_no_type",
        "person_location_object",
        "person_location_url",
        "membership_array",
        "file_double_slash",
        "ags_9",
        "ags_7",
        "body_list_names",
        "limit_400",
        "thin_papers",
        "missing_mandatory",
        "unlisted_refs",
        "control_chars",
        "double_colon_tz",
        "na_values",
        "aux_single",
        "spurious_500",
        "no_url_encoding",
        "no_microseconds",
        "https_ids",
        "embedded_no_id",
        "lost_filter",
        "created_after_modified",
        "bad_geojson",
        "allris4",
        "error_200",
        "same_page_loop",
        "next_loop",
        "self_link",
        "type_variants",
        "url_spaces",
        "single_values",
        "number_refs",
        "naive_datetimes",
        "date_for_datetime",
        "license_text",
        "id_mismatch",
        "html_200",
        "invalid_json",
        "slow",
    }
)
VENDORS: tuple[str | None, ...] = (None, "sternberg", "ccegov", "somacos", "rubin")
ALLRIS4_STAMP = "2000-01-01T00:00:00+01:00"
LICENSE_TEXT = "Datenlizenz Deutschland Namensnennung 2.0"
ERROR_200: JsonObj = {"error": "OParl is not active.", "type": "Error"}

_CONTROL = {"\ue001": "\x01", "\ue002": "\t", "\ue003": "\n", "\ue004": "\x1f"}
_OFFSET = re.compile(r'(T\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d):(\d\d)"')
_TYPE = re.compile(r'"https://schema\.oparl\.org/(1\.[01])/(\w+)"')


def check_quirks(names: set[str] | frozenset[str]) -> None:
    """Raise ValueError for unknown quirk names."""
    unknown = set(names) - QUIRKS
    if unknown:
        known = ", ".join(sorted(QUIRKS))
        raise ValueError(f"unknown quirk(s): {', '.join(sorted(unknown))}; known: {known}")


def _num(obj_id: str) -> int:
    tail = obj_id.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class Renderer:
    """Builds the JSON served for one request, given a quirk snapshot. Call under ``ds.lock``."""

    def __init__(self, ds: Dataset, quirks: frozenset[str], vendor: str | None = None) -> None:
        self.ds = ds
        self.q = quirks
        self.vendor = vendor

    # -- objects -----------------------------------------------------------------------------------
    def system(self) -> JsonObj:
        out = dict(self.ds.system)
        vendor = self.vendor
        if vendor == "sternberg":
            out.update(
                {
                    "contactName": "STERNBERG Software GmbH & Co. KG",
                    "STERNBERG:RIMVersion": "5.3.2",
                    "vendor": "https://www.sternberg-sh.de/",
                    "product": "https://www.sternberg-sh.de/sd-net-rim",
                }
            )
        elif vendor == "ccegov":
            out.update(
                {
                    "vendor": "http://cc-egov.de/",
                    "product": "http://cc-egov.de/allris-4",
                    "name": "ALLRIS OParl der Stadt Musterstadt",
                }
            )
        elif vendor == "somacos":
            out.update(
                {
                    "vendor": "http://www.somacos.de",
                    "product": "http://www.somacos.de/loesungen/sitzungsmanagement/session/",
                    "name": "SOMACOS Session OParl-Schnittstelle",
                }
            )
        elif vendor == "rubin":
            out.update(
                {
                    "vendor": "https://www.more-rubin.de/",
                    "product": "more! rubin",
                    "website": "https://musterstadt.gremien.info/",
                }
            )
        if "license_text" in self.q:
            out["license"] = LICENSE_TEXT
            out["name"] = "N/A"
        return out

    def tombstone(self, src: JsonObj) -> JsonObj:
        out = {"id": src["id"], "type": src["type"], "deleted": True, "modified": src["modified"]}
        t = short_type(src["type"])
        if "tombstone_no_type" in self.q or (
            "missing_mandatory" in self.q and t in ("Paper", "Meeting") and _num(src["id"]) % 2 == 0
        ):
            del out["type"]
        return out

    def expand(self, path: str, parent: str | None = None) -> JsonObj | None:
        """Object with embedded attributes expanded; None for a deleted/missing embedded child."""
        src = self.ds.objects.get(path)
        if src is None:
            return None
        if src.get("deleted"):
            return None if parent else self.tombstone(src)
        t = short_type(src["type"])
        out = dict(src)
        for attr, many in EMBEDDED.get(t, {}).items():
            value = src.get(attr)
            if value is None:
                continue
            if many:
                kids = [k for k in (self.expand(self.ds.path_of(v), t) for v in value) if k is not None]
                if kids:
                    out[attr] = kids
                else:
                    del out[attr]
            else:
                kid = self.expand(self.ds.path_of(value), t)
                if kid is None:
                    del out[attr]
                else:
                    out[attr] = kid
        if t == "Person" and "location" in src:
            self._person_location(out)
        if self.q:
            self._quirk(t, out, parent)
        return out

    def _person_location(self, out: JsonObj) -> None:
        if "person_location_object" in self.q or "person_location_url" in self.q:
            loc = self.expand(self.ds.path_of(out["location"]), "Person")
            if loc is not None:
                if "person_location_object" in self.q:
                    out["location"] = loc
                else:
                    out["locationObject"] = loc

    def _quirk(self, t: str, out: JsonObj, parent: str | None) -> None:
        q, n = self.q, _num(out["id"])
        if parent is not None and "created_after_modified" in q:
            out.pop("created", None)
            out.pop("modified", None)
        elif "created_after_modified" in q and n % 5 == 0 and "created" in out:
            out["created"], out["modified"] = out["modified"], out["created"]
        if "aux_single" in q and isinstance(out.get("auxiliaryFile"), list):
            out["auxiliaryFile"] = out["auxiliaryFile"][0]
        if t == "Location":
            if parent is not None and "embedded_no_type" in q:
                out.pop("type", None)
            if parent == "Meeting" and "embedded_no_id" in q:
                out.pop("id", None)
            if "bad_geojson" in q and "geojson" in out:
                if n % 2 == 0:
                    out["geojson"] = {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Point", "coordinates": [11.07, 49.45, 0.0]},
                    }
                else:
                    out["geojson"] = {"type": "Point", "coordinates": "49.45;11.07 (WGS84)"}
            if "na_values" in q:
                out["room"] = "N/A"
                out["streetAddress"] = " "
        elif t == "File":
            self._file(out, n)
        elif t == "Body":
            if "missing_mandatory" in q:
                out.pop("legislativeTerm", None)
            if "ags_9" in q:
                out["ags"] = out["ags"] + "0"
            elif "ags_7" in q:
                out["ags"] = out["ags"].lstrip("0")
            if "license_text" in q:
                out["license"] = LICENSE_TEXT
            if "body_list_names" in q:  # as a real Somacos Body names two of its lists
                for spec, odd in (("consultation", "consultations"), ("file", "files")):
                    if spec in out:
                        out[odd] = out.pop(spec)
        elif t == "AgendaItem" and "missing_mandatory" in q:
            out["number"] = ""
        elif t == "LegislativeTerm" and "double_colon_tz" in q:
            for attr in ("startDate", "endDate"):
                if attr in out:
                    d = date.fromisoformat(out[attr])
                    out[attr] = datetime(d.year, d.month, d.day, tzinfo=BERLIN).isoformat()
        elif t == "Meeting":
            if "unlisted_refs" in q and n % 5 == 1:
                out["participant"] = [
                    *out.get("participant", []),
                    self.ds.id_of(min(self.ds.unlisted)),
                    *self.ds.missing_refs[:1],
                ]
            if "date_for_datetime" in q:
                for attr in ("start", "end"):
                    if attr in out:
                        out[attr] = out[attr][:10]
            if "number_refs" in q and out.get("organization"):
                out["organization"] = [_num(o) for o in out["organization"]]
        elif t == "Paper":
            self._paper(out, n)
        elif t == "Consultation" and "allris4" in q:
            out.pop("agendaItem", None)
        elif t == "Person":
            if "single_values" in q:
                for attr in ("email", "phone"):
                    if isinstance(out.get(attr), list):
                        out[attr] = out[attr][0]
            if "na_values" in q:
                out["affix"] = " " if n % 2 else ""
                out["formOfAddress"] = "N/A"
        elif t == "Organization" and "na_values" in q:
            out["shortName"] = ""
            out["website"] = "N/A"
        elif t == "Membership" and "number_refs" in q and isinstance(out.get("organization"), str):
            out["organization"] = _num(out["organization"])

    def _file(self, out: JsonObj, n: int) -> None:
        q = self.q
        if "url_spaces" in q:
            ext = out["accessUrl"].rsplit(".", 1)[-1]
            out["accessUrl"] = f"{self.ds.base_url}/files/{n}/Anlage {n} zur Vorlage.{ext}"
            out["downloadUrl"] = f"{self.ds.base_url}/files/{n}/Anlage {n} zur Vorlage.{ext}"
        if "file_double_slash" in q:
            for attr in ("accessUrl", "downloadUrl"):
                out[attr] = out[attr].replace("/files/", "/files//")
        if "na_values" in q:
            out["downloadUrl"] = ""
            out["mimeType"] = out["fileName"].rsplit(".", 1)[-1]
            out["size"] = 0
            out["date"] = out["date"] + "T00:00:00+01:00"
            out["text"] = "N/A"

    def _paper(self, out: JsonObj, n: int) -> None:
        q = self.q
        if "allris4" in q:
            out["created"] = out["modified"] = ALLRIS4_STAMP
        if "unlisted_refs" in q and n % 5 == 1:
            out["originatorPerson"] = [
                *out.get("originatorPerson", []),
                self.ds.id_of(max(self.ds.unlisted)),
                *self.ds.missing_refs[1:],
            ]
        if "control_chars" in q and n % 5 == 1:
            name = out["name"]
            out["name"] = f"{name[:6]}\ue001{name[6:12]}\ue002{name[12:]}\ue003\ue004"
        if "na_values" in q and n % 4 == 0:
            out["paperType"] = "N/A"

    def thin(self, obj: JsonObj) -> JsonObj:
        """Paper reduced to the fields Sternberg 1.0 lists show (``thin_papers``)."""
        return {k: obj[k] for k in ("id", "type", "created", "modified", "deleted") if k in obj}

    # -- serialization ---------------------------------------------------------------------------
    def dumps(self, payload: Any) -> bytes:
        """Serialize and apply text-level quirks (ids, type URIs, offsets, control characters)."""
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        q = self.q
        if not q:
            return text.encode()
        if "https_ids" in q:
            ds = self.ds
            host = ds.origin.split("://", 1)[1]
            text = text.replace(ds.origin + ds.prefix, f"https://{host}/ris{ds.prefix}")
        if "type_variants" in q:
            flip = [0]

            def variant(m: re.Match[str]) -> str:
                flip[0] += 1
                if flip[0] % 2:
                    return f'"http://schema.oparl.org/{m.group(1)}/{m.group(2)}"'
                return f'"https://schema.oparl.org/{m.group(1)}/{m.group(2)}/"'

            text = _TYPE.sub(variant, text)
        if "naive_datetimes" in q:
            text = _OFFSET.sub(r'\1"', text)
        elif "double_colon_tz" in q:
            text = _OFFSET.sub(r'\1\2::\3"', text)
        if "control_chars" in q:
            for marker, raw in _CONTROL.items():
                text = text.replace(marker, raw)
        return text.encode()
