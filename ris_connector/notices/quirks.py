"""The OParl quirk catalogue: what real servers do that the specification does not allow.

Each row was seen on live endpoints of the vendors that run nearly every German OParl server.
The number is the row's identity: the notice codes carry it (``oparl-q16-...``) and stored
run reports name those codes, so numbers are never reused or renumbered. ``docs/quirks.md`` is
generated from this table (``ris-connector quirks --markdown --out docs/quirks.md``).
"""

from __future__ import annotations

from ris_connector.notices import oparl as c
from ris_connector.notices.code import Quirk
from ris_connector.notices.engine import LIST_LIMIT_PAGES

SDNET = "Sternberg SD.NET RIM"
ALLRIS = "CC e-gov ALLRIS"
ALLRIS4 = "CC e-gov ALLRIS 4"
SOMACOS = "Somacos Session"
RUBIN = "more! rubin"
VARIOUS = "various"

_QUIRKS = "tests/adapters/oparl/test_adapter_quirks.py::"

QUIRKS: tuple[Quirk, ...] = (
    Quirk(
        number=1,
        title="An empty filtered list is answered with HTTP 404 and an error object (some servers: 400)",
        vendors=(SDNET,),
        handling="That exact answer to a list request is read as an empty page; any other 404 still fails the list.",
        codes=(c.Q1_EMPTY_ERROR,),
        tests=(_QUIRKS + "test_empty_filtered_list_answered_404",),
    ),
    Quirk(
        number=2,
        title="An empty filtered list is a bare `[]` instead of a list page",
        vendors=(SDNET,),
        handling="An array where a page belongs is read as a page holding its elements.",
        codes=(c.Q2_ARRAY_PAGE,),
        tests=(_QUIRKS + "test_empty_filtered_list_as_array",),
    ),
    Quirk(
        number=3,
        title="The Body list URL answers one Body object instead of a list",
        vendors=(SDNET,),
        handling="An object where a page belongs is read as a page of that one object.",
        codes=(c.Q3_OBJECT_PAGE,),
        tests=(_QUIRKS + "test_body_list_is_a_single_object",),
    ),
    Quirk(
        number=4,
        title="Deleted objects without `type`, also inside unfiltered lists",
        vendors=(SDNET,),
        handling="The type comes from the list or the URL, and the stored record of that type is deleted.",
        codes=(c.Q4_TOMBSTONE_WITHOUT_TYPE,),
        tests=(_QUIRKS + "test_tombstones_without_type_delete_the_right_record",),
    ),
    Quirk(
        number=5,
        title="Embedded Locations and Organizations without `type`",
        vendors=(SDNET,),
        handling="The type is taken from the field the object is embedded in.",
        codes=(c.Q5_MISSING_TYPE,),
        tests=(_QUIRKS + "test_embedded_objects_without_type",),
    ),
    Quirk(
        number=6,
        title="`Person.location` embedded where a URL belongs, or a URL where 1.1 embeds `locationObject`",
        vendors=(SDNET,),
        handling="Both forms are read: an embedded Location becomes its own record, a URL a reference.",
        codes=(c.Q6_EMBEDDED_LOCATION,),
        tests=(_QUIRKS + "test_person_location_as_object", _QUIRKS + "test_person_location_object_field"),
    ),
    Quirk(
        number=7,
        title="An object's URL (`/membership/...`) answers an array; one-element arrays where one value belongs",
        vendors=(SDNET,),
        handling="The single element is taken.",
        codes=(c.Q7_ARRAY_OBJECT, c.Q7_ARRAY),
        tests=(_QUIRKS + "test_membership_url_answers_array",),
    ),
    Quirk(
        number=8,
        title="Double slashes in file URLs (`files//rim/...`)",
        vendors=(SDNET,),
        handling="Collapsed in the File's URLs when it is mapped and again before the file mirror downloads.",
        codes=(c.Q8_DOUBLE_SLASH,),
        tests=(
            _QUIRKS + "test_file_urls_with_double_slash",
            "tests/cli/test_files_cmd.py::test_files_command_mirrors_a_synced_source",
        ),
    ),
    Quirk(
        number=9,
        title="A file URL with its extension doubled (`.eml.eml`) answers 404; the document is at `.eml.pdf`",
        vendors=(SDNET,),
        handling=(
            "The file mirror retries such a URL with `.pdf` as the last extension after a 404 (repair "
            "`doubled-extension`)."
        ),
        tests=("tests/files/test_mirror.py::test_broken_vendor_urls_are_repaired",),
    ),
    Quirk(
        number=10,
        title="Downloads labelled `application/octetstream; charset=UTF-8`",
        vendors=(SDNET,),
        handling="The file mirror ignores the Content-Type and checks the bytes against the File's `mimeType`.",
        tests=("tests/files/test_mirror.py::test_content_mismatch_and_octetstream_content_type",),
    ),
    Quirk(
        number=11,
        title="An AGS of seven digits (leading zero lost) or of nine and more (trailing zeros)",
        vendors=(SDNET,),
        handling="Padded or trimmed to the eight digits of an AGS.",
        codes=(c.Q11_AGS,),
        tests=(_QUIRKS + "test_ags_trimmed_and_padded",),
    ),
    Quirk(
        number=12,
        title="The `limit` parameter is answered with HTTP 400; pages hold 25 objects, always",
        vendors=(SDNET,),
        handling="No `limit` is sent to SD.NET; any server that answers `limit` with 400 is asked again without it.",
        codes=(c.Q12_NO_LIMIT, c.Q12_LIMIT_REJECTED),
        tests=(_QUIRKS + "test_sternberg_gets_no_limit", _QUIRKS + "test_limit_rejected_is_dropped"),
    ),
    Quirk(
        number=13,
        title="List entries with nothing but `id`, `type`, `created`, `modified` (and `deleted`)",
        vendors=(SDNET,),
        handling="Such an entry is fetched by its URL and read in full.",
        codes=(c.Q13_THIN_OBJECT,),
        tests=(_QUIRKS + "test_thin_papers_get_their_full_fields",),
    ),
    Quirk(
        number=14,
        title="Mandatory fields missing (`Body.legislativeTerm`, `Meeting.type`), `AgendaItem.number` empty",
        vendors=(SDNET,),
        handling="Only identity is required of a record; a missing field stays empty, an empty number too.",
        codes=(c.Q14_EMPTY_NUMBER,),
        tests=(_QUIRKS + "test_missing_mandatory_fields",),
    ),
    Quirk(
        number=15,
        title="Referenced objects that no list contains (Locations; `organization/X/meeting` answers 404)",
        vendors=(SDNET, SOMACOS),
        handling=(
            "After the lists, each unresolved reference is fetched by itself; what cannot be had ends as a missing "
            "reference, not a failure."
        ),
        codes=(c.Q15_UNLISTED_REFERENCE,),
        tests=(_QUIRKS + "test_unlisted_references",),
    ),
    Quirk(
        number=16,
        title="Raw control characters inside JSON strings, which makes the JSON invalid",
        vendors=(ALLRIS,),
        handling="The JSON is read leniently, the characters removed and counted.",
        codes=(c.Q16_CONTROL_CHARACTERS,),
        tests=(_QUIRKS + "test_control_characters", "tests/e2e/test_malformed.py::test_control_characters_repaired"),
    ),
    Quirk(
        number=17,
        title="UTC offsets written `+01::00`; date-times in date fields",
        vendors=(ALLRIS4,),
        handling="The offset is repaired; a date field keeps the date of a date-time.",
        codes=(c.Q17_DOUBLE_COLON, c.Q17_DATETIME_IN_DATE),
        tests=(_QUIRKS + "test_double_colon_offsets",),
    ),
    Quirk(
        number=18,
        title='`N/A`, blanks and `""` as values; `mimeType` `pdf`; `size` 0',
        vendors=(ALLRIS,),
        handling="Placeholders leave the field empty, extensions become MIME types, size 0 is unknown.",
        codes=(c.Q18_PLACEHOLDER, c.Q18_MIMETYPE, c.Q18_SIZE_ZERO),
        tests=(_QUIRKS + "test_placeholder_values",),
    ),
    Quirk(
        number=19,
        title="`auxiliaryFile` as one object instead of an array",
        vendors=(ALLRIS,),
        handling="Wrapped in a list.",
        codes=(c.Q19_SINGLE_OBJECT,),
        tests=(_QUIRKS + "test_single_auxiliary_file_wrapped",),
    ),
    Quirk(
        number=20,
        title="Spurious HTTP 500 on list pages",
        vendors=(ALLRIS, SOMACOS),
        handling=(
            "Retried by the HTTP client with backoff, within one deadline per request; retries are counted in the "
            "report."
        ),
        tests=(_QUIRKS + "test_spurious_500_retried",),
    ),
    Quirk(
        number=21,
        title="Percent-encoded filter values are refused (404 with an HTML page); a raw `+` is accepted",
        vendors=(SOMACOS,),
        handling="Filter queries to Somacos are sent without percent-encoding.",
        codes=(c.Q21_UNENCODED_QUERY,),
        tests=(_QUIRKS + "test_somacos_unencoded_filters",),
    ),
    Quirk(
        number=22,
        title="Microseconds in `modified_since` are refused",
        vendors=(SOMACOS,),
        handling="Filter times are always sent in whole seconds, so nothing is noted.",
        tests=(_QUIRKS + "test_no_microseconds_in_filters",),
    ),
    Quirk(
        number=23,
        title="Ids under `http://` on an https server (and back), or under another path than the API answers at",
        vendors=(SOMACOS, VARIOUS),
        handling="Ids are canonicalized (one scheme per host); requests go to the path the server answers at.",
        codes=(c.Q23_ID_PATH,),
        tests=(_QUIRKS + "test_https_ids_resolve",),
    ),
    Quirk(
        number=24,
        title="Embedded objects without `id`",
        vendors=(SOMACOS,),
        handling="The object gets an id from its parent and the field it is in.",
        codes=(c.Q24_EMBEDDED_WITHOUT_ID,),
        tests=(_QUIRKS + "test_embedded_object_without_id",),
    ),
    Quirk(
        number=25,
        title="`next` links that lose the `modified_since` filter",
        vendors=(VARIOUS,),
        handling="The filter is added back to the link.",
        codes=(c.Q25_LOST_FILTER,),
        tests=(_QUIRKS + "test_lost_filter_reappended",),
    ),
    Quirk(
        number=26,
        title="`created` later than `modified`; embedded objects without either (1.0)",
        vendors=(VARIOUS,),
        handling="`modified` is raised to `created`; an embedded object without dates takes its parent's.",
        codes=(c.Q26_CREATED_AFTER_MODIFIED, c.Q26_INHERITED_DATES),
        tests=(_QUIRKS + "test_created_after_modified",),
    ),
    Quirk(
        number=27,
        title="GeoJSON that is invalid (positions of other than two numbers)",
        vendors=(VARIOUS,),
        handling="The geometry is dropped, the Location kept.",
        codes=(c.Q27_GEOJSON,),
        tests=(_QUIRKS + "test_bad_geojson_dropped",),
    ),
    Quirk(
        number=28,
        title=(
            "Fixed pages of ten, oldest first; every object stamped `2000-01-01`, so `modified_since` finds nothing"
        ),
        vendors=(ALLRIS4,),
        handling="Incremental runs page backwards from `links.last` until a page holds only known ids.",
        codes=(c.Q28_NEWEST_PAGES,),
        tests=(_QUIRKS + "test_allris4_incremental_pages_backwards",),
    ),
    Quirk(
        number=29,
        title="Filters that return nothing; an old System URL that now answers an HTML page",
        vendors=(ALLRIS4,),
        handling=(
            "ALLRIS 4 is read without filters (row 28); HTML where JSON belongs ends the list as invalid, exit 3, "
            "data kept."
        ),
        tests=(
            _QUIRKS + "test_allris4_incremental_pages_backwards",
            "tests/e2e/test_malformed.py::test_html_where_json_was_expected",
        ),
    ),
    Quirk(
        number=30,
        title="Every object stamped today, time filters ignored; an Error object with HTTP 200",
        vendors=(RUBIN,),
        handling=(
            "Every run reads the lists in full (the content hash keeps unchanged records silent); an Error object "
            "ends the run as incomplete, naming the server's message."
        ),
        codes=(c.Q30_FULL_LIST,),
        tests=(_QUIRKS + "test_rubin_reads_lists_in_full", _QUIRKS + "test_error_object_with_200"),
    ),
    Quirk(
        number=31,
        title=(
            "Thousands of objects re-stamped at once; objects turn 401 when made non-public; `reference` not unique"
        ),
        vendors=(SOMACOS,),
        handling=(
            "The content hash leaves out `modified`, so a re-stamp is no change; 401/403 end as missing references; "
            "records are keyed by id, never by reference."
        ),
        tests=(
            "tests/real/test_karlsruhe_somacos_oparl.py::test_meeting_restamped_modified_is_no_news",
            "tests/real/test_wuppertal_somacos_oparl.py::test_meeting_and_files_stored_missing_references_counted",
        ),
    ),
    Quirk(
        number=32,
        title="File URLs of the API answer 404; the documents are served by `getfile.asp`",
        vendors=(SOMACOS,),
        handling=(
            "Not handled: the file mirror reports such a File's 404. A vendor rewrite belongs in `files/urls.py` once "
            "a real payload shows the pattern."
        ),
        handled=False,
    ),
    Quirk(
        number=33,
        title="The same page for every page number (endless pagination); empty pages",
        vendors=(SOMACOS,),
        handling=(
            "A list ends at a repeated page or after pages without new ids; the run deletes nothing for absence."
        ),
        codes=(c.PAGINATION_REPEAT, c.PAGINATION_STALE, LIST_LIMIT_PAGES),
        tests=(
            _QUIRKS + "test_pagination_loops_end",
            _QUIRKS + "test_a_list_longer_than_max_pages_is_cut",
            "tests/e2e/test_malformed.py::test_pagination_loops",
            "tests/sync/test_engine_faults.py::test_fault",
        ),
    ),
    Quirk(
        number=34,
        title="A `next` link back to a page visited before",
        vendors=(VARIOUS,),
        handling="The list ends there; the run deletes nothing for absence.",
        codes=(c.PAGINATION_LOOP,),
        tests=(_QUIRKS + "test_pagination_loops_end",),
    ),
    Quirk(
        number=35,
        title="Hosting: broken redirects, incomplete TLS chains, geo-blocking, bot walls, 403, robots.txt",
        vendors=(VARIOUS,),
        handling=(
            "Not handled in code: the source fails with the HTTP error (exit 3). A CA bundle (`http.verify`) "
            "completes a chain; redirects to other hosts are followed only where `allowed_hosts` allows."
        ),
        handled=False,
    ),
    Quirk(
        number=36,
        title="`type` URIs spelled `http://schema.oparl.org/...` or with a trailing slash",
        vendors=(VARIOUS,),
        handling="Read as the type they name.",
        codes=(c.Q36_TYPE_URI,),
        tests=(_QUIRKS + "test_type_uri_variants",),
    ),
    Quirk(
        number=37,
        title=(
            "Spaces in URLs; a single value where a list belongs; numbers as references; date-times without offset; "
            "dates for date-times"
        ),
        vendors=(VARIOUS,),
        handling=(
            "URLs are encoded, single values wrapped, numbers dropped, naive times read in the source's zone, dates "
            "read as midnight."
        ),
        codes=(
            c.Q37_URL_CHARACTERS,
            c.Q37_SINGLE_VALUE,
            c.Q37_NUMBER_REFERENCE,
            c.Q37_NAIVE_DATETIME,
            c.Q37_DATE_FOR_DATETIME,
        ),
        tests=(
            _QUIRKS + "test_url_spaces_encoded",
            _QUIRKS + "test_single_values_wrapped",
            _QUIRKS + "test_number_references_dropped",
            _QUIRKS + "test_naive_datetimes_read_in_berlin",
            _QUIRKS + "test_date_for_datetime",
        ),
    ),
    Quirk(
        number=38,
        title="A license as free text instead of a URL; placeholder System names",
        vendors=(ALLRIS,),
        handling="The text is kept as given.",
        codes=(c.Q38_LICENSE_TEXT,),
        tests=(_QUIRKS + "test_license_text_kept",),
    ),
    Quirk(
        number=39,
        title="An object whose `id` is not the URL it was fetched from",
        vendors=(VARIOUS,),
        handling="Keyed by its `id`; the URL is kept as an alias.",
        codes=(c.Q39_ID_MISMATCH,),
        tests=(_QUIRKS + "test_id_mismatch_recorded_as_alias",),
    ),
    Quirk(
        number=40,
        title="Slow servers: seconds to a minute per list page",
        vendors=(VARIOUS,),
        handling=(
            "Long read timeouts (120 s by default) within one deadline per request, and list pages requested ahead on "
            "a few connections."
        ),
        tests=(
            "tests/adapters/oparl/test_adapter_fetch_ahead.py::test_concurrent_run_stores_the_same_records_with_the_same_requests",
            "tests/security/test_request_deadline.py::test_a_slow_server_gets_one_deadline_for_all_attempts",
        ),
    ),
)
