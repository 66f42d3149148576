"""Codes of the ``oparl`` adapter.

``oparl-qN-...`` codes name row N of the quirk catalogue (:mod:`ris_connector.notices.quirks`);
stored reports carry them, so they never change. The other codes are deviations nobody
catalogued as a vendor's habit: broken JSON, list links, Body list names.
"""

from __future__ import annotations

from ris_connector.notices.code import NoticeCode

# --- the run --------------------------------------------------------------------------------
OPARL_VENDOR = NoticeCode(
    "oparl-vendor",
    "the vendor profile the adapter chose from the System object (information, not a deviation)",
    "the profile's request strategy is used for the whole run",
)

# --- lists and pages ------------------------------------------------------------------------
Q1_EMPTY_ERROR = NoticeCode(
    "oparl-q1-empty-error",
    "an empty filtered list answered with HTTP 404 (or 400) and the SD.NET error body",
    "read as an empty page",
)
Q2_ARRAY_PAGE = NoticeCode(
    "oparl-q2-array-page",
    "a bare JSON array where a list page belongs",
    "read as a page holding the array",
)
Q3_OBJECT_PAGE = NoticeCode(
    "oparl-q3-object-page",
    "a single object where a list page belongs",
    "read as a page of one object",
)
Q12_NO_LIMIT = NoticeCode(
    "oparl-q12-no-limit",
    "a vendor that answers the limit parameter with HTTP 400 (SD.NET RIM)",
    "list requests carry no limit",
)
Q12_LIMIT_REJECTED = NoticeCode(
    "oparl-q12-limit-rejected",
    "a list request with limit answered with HTTP 400",
    "asked again without limit, and no limit is sent for the rest of the run",
)
Q21_UNENCODED_QUERY = NoticeCode(
    "oparl-q21-unencoded-query",
    "a vendor that rejects percent-encoded filter values (Somacos)",
    "filter queries are sent without percent-encoding",
)
Q25_LOST_FILTER = NoticeCode(
    "oparl-q25-lost-filter",
    "a next link without the filter of the first page",
    "the filter is added back",
    pagination=True,
)
Q28_NEWEST_PAGES = NoticeCode(
    "oparl-q28-newest-pages",
    "a vendor whose time filters are useless (ALLRIS 4)",
    "incremental runs page backwards from links.last until a page of known ids",
)
Q30_FULL_LIST = NoticeCode(
    "oparl-q30-full-list",
    "a vendor that ignores time filters and re-stamps every object (more! rubin)",
    "every list is read in full",
)
OPARL_BODY_LIST_ALIAS = NoticeCode(
    "oparl-body-list-alias",
    "a Body that names a list by another name (consultations, files, a plural)",
    "read as the spec's list, only when the spec's name is absent",
)
OPARL_RELATIVE_LINK = NoticeCode(
    "oparl-relative-link",
    "a relative links.next, prev or last",
    "resolved against the page's URL",
    pagination=True,
)
PAGINATION_BAD_LIST_URL = NoticeCode(
    "pagination-bad-list-url",
    "a Body list value that is no URL",
    "that list is skipped",
    partial_list=True,
)
PAGINATION_BAD_LINK = NoticeCode(
    "pagination-bad-link",
    "a links.next, prev or last that is no URL (a number, an object, http://[::1)",
    "the list ends there",
    partial_list=True,
)
PAGINATION_LOOP = NoticeCode(
    "pagination-loop",
    "a link to a page of the list visited before",
    "the list ends there",
    partial_list=True,
)
PAGINATION_REPEAT = NoticeCode(
    "pagination-repeat",
    "a page with the same content as the page before",
    "the list ends there",
    partial_list=True,
)
PAGINATION_STALE = NoticeCode(
    "pagination-stale",
    "pages that bring no object not seen before in the list",
    "the list ends there",
    partial_list=True,
)

# --- the JSON text --------------------------------------------------------------------------
Q16_CONTROL_CHARACTERS = NoticeCode(
    "oparl-q16-control-characters",
    "raw control characters inside JSON strings (invalid JSON)",
    "read leniently; the characters are removed",
    control_characters=True,
)
OPARL_JSON_NONFINITE = NoticeCode(
    "oparl-json-nonfinite",
    "NaN, Infinity, or a number beyond a float (1e400)",
    "read as null",
)
OPARL_JSON_HUGE_INTEGER = NoticeCode(
    "oparl-json-huge-integer",
    "an integer of more than 4,300 digits",
    "read as null; the page is kept",
)
OPARL_JSON_LONE_SURROGATE = NoticeCode(
    "oparl-json-lone-surrogate",
    "a \\ud800 escape without its pair",
    "replaced by U+FFFD",
)
OPARL_JSON_NOT_UTF8 = NoticeCode(
    "oparl-json-not-utf8",
    "a body that is no UTF-8",
    "read as cp1252",
)

# --- objects and identity -------------------------------------------------------------------
Q4_TOMBSTONE_WITHOUT_TYPE = NoticeCode(
    "oparl-q4-tombstone-without-type",
    "a deleted object without type",
    "the type is read from the URL or the list; the record of that type is deleted",
)
Q5_MISSING_TYPE = NoticeCode(
    "oparl-q5-missing-type",
    "an object without type",
    "the type is taken from where it was found (the list, the field) or its URL",
)
Q7_ARRAY_OBJECT = NoticeCode(
    "oparl-q7-array-object",
    "an object's own URL answered with an array",
    "its first element is taken",
)
Q13_THIN_OBJECT = NoticeCode(
    "oparl-q13-thin-object",
    "a list entry with nothing but id, type and dates",
    "the object is fetched by itself",
)
Q15_UNLISTED_REFERENCE = NoticeCode(
    "oparl-q15-unlisted-reference",
    "a referenced object that no list delivers",
    "fetched by itself; a 404, 401/403 or foreign host ends as a missing reference",
)
Q23_ID_PATH = NoticeCode(
    "oparl-q23-id-path",
    "ids under another path (or scheme) than the System URL the server answers at",
    "requests go to the path the server answers at; ids are canonicalized and kept",
)
Q24_EMBEDDED_WITHOUT_ID = NoticeCode(
    "oparl-q24-embedded-without-id",
    "an embedded object without id",
    "an id from the parent (<parent>#<field>/<n>)",
)
Q36_TYPE_URI = NoticeCode(
    "oparl-q36-type-uri",
    "a type URI spelled otherwise (http://, a trailing slash)",
    "read as the type it names",
)
Q39_ID_MISMATCH = NoticeCode(
    "oparl-q39-id-mismatch",
    "an object whose id differs from the URL it was fetched from",
    "keyed by its id; the URL is kept as an alias",
)

# --- values ---------------------------------------------------------------------------------
Q6_EMBEDDED_LOCATION = NoticeCode(
    "oparl-q6-embedded-location",
    "Person.location as an object where OParl 1.0 wants a URL",
    "the object is read as the Location and referenced",
)
Q7_ARRAY = NoticeCode(
    "oparl-q7-array",
    "a one-element array where one reference or object belongs",
    "its element is taken",
)
Q8_DOUBLE_SLASH = NoticeCode(
    "oparl-q8-double-slash",
    "// inside the path of a file URL",
    "collapsed to /",
)
Q11_AGS = NoticeCode(
    "oparl-q11-ags",
    "an AGS of 7 digits (lost leading zero), 9 or more (trailing zeros), or not numeric",
    "padded or trimmed to 8 digits; one that is not numeric is dropped",
)
Q14_EMPTY_NUMBER = NoticeCode(
    "oparl-q14-empty-number",
    "AgendaItem.number as an empty string",
    "left empty",
)
Q17_DOUBLE_COLON = NoticeCode(
    "oparl-q17-double-colon",
    "a UTC offset written +01::00",
    "read as +01:00",
)
Q17_DATETIME_IN_DATE = NoticeCode(
    "oparl-q17-datetime-in-date",
    "a date-time in a date field",
    "its date is taken",
)
Q18_PLACEHOLDER = NoticeCode(
    "oparl-q18-placeholder",
    "N/A, blanks or an empty string as a value (downloadUrl: '')",
    "the field stays empty",
)
Q18_MIMETYPE = NoticeCode(
    "oparl-q18-mimetype",
    "a file extension (pdf, docx) as mimeType",
    "mapped to its MIME type",
)
Q18_SIZE_ZERO = NoticeCode(
    "oparl-q18-size-zero",
    "File.size 0",
    "read as unknown",
)
Q19_SINGLE_OBJECT = NoticeCode(
    "oparl-q19-single-object",
    "a single object where an array belongs (auxiliaryFile)",
    "wrapped in a list",
)
Q26_CREATED_AFTER_MODIFIED = NoticeCode(
    "oparl-q26-created-after-modified",
    "created later than modified",
    "modified is set to created",
)
Q26_INHERITED_DATES = NoticeCode(
    "oparl-q26-inherited-dates",
    "an embedded object without created and modified (OParl 1.0)",
    "its parent's dates are used",
)
Q27_GEOJSON = NoticeCode(
    "oparl-q27-geojson",
    "GeoJSON that cannot be drawn (coordinates of other than two numbers, nested too deep)",
    "dropped",
)
Q37_SINGLE_VALUE = NoticeCode(
    "oparl-q37-single-value",
    "a single value where a list of texts belongs",
    "wrapped in a list",
)
Q37_NUMBER_REFERENCE = NoticeCode(
    "oparl-q37-number-reference",
    "a number where a reference belongs",
    "dropped",
)
Q37_DATE_FOR_DATETIME = NoticeCode(
    "oparl-q37-date-for-datetime",
    "a date where a date-time belongs",
    "read as midnight in the source's zone",
)
Q37_NAIVE_DATETIME = NoticeCode(
    "oparl-q37-naive-datetime",
    "a date-time without UTC offset",
    "read in the source's zone",
)
Q37_URL_CHARACTERS = NoticeCode(
    "oparl-q37-url-characters",
    "spaces or other unencoded characters in a file URL",
    "percent-encoded",
)
Q38_LICENSE_TEXT = NoticeCode(
    "oparl-q38-license-text",
    "a license given as free text instead of a URL",
    "kept as given",
)
