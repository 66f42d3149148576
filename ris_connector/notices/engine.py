"""Codes of the sync engine: what it decided not to write, or not to delete, and why."""

from __future__ import annotations

from ris_connector.notices.code import NoticeCode

OLDER_COPY = NoticeCode(
    "older-copy",
    "a copy of a record whose modified is older than the copy kept",
    "ignored (the newest copy wins)",
)
ID_CONFLICT = NoticeCode(
    "id-conflict",
    "a record id that another source already stores",
    "not overwritten",
)
COPIES_NOT_HELD = NoticeCode(
    "copies-not-held",
    "more changes of the same age as the stored rows than the engine holds until the lists are read",
    "the rest written as they came",
)
INDIVIDUAL_FETCH_LIMIT = NoticeCode(
    "individual-fetch-limit",
    "more unresolved references than max_individual_fetches",
    "fetching stops; the rest stay unresolved this run",
)
NO_ABSENCE_DELETES = NoticeCode(
    "no-absence-deletes",
    "a list was not read whole (irregular pagination)",
    "records absent from the lists are not deleted this run",
)
LEFT_WINDOW = NoticeCode(
    "left-window",
    "records absent from a list that shows a window of time (Checkpoint.covers_from), starting before it",
    "kept: they left the window, not the source (no deleted event)",
)
LIST_SHRANK = NoticeCode(
    "list-shrank",
    "a list emptied or shrank by more than max_delete_fraction since the last full run",
    "the absent records of its type are not deleted this run",
)
MASS_DELETE_REFUSED = NoticeCode(
    "mass-delete-refused",
    "more than max_delete_fraction of a type is absent (no list sizes known yet)",
    "not deleted",
)
LIST_LIMIT_PAGES = NoticeCode(
    "list-limit-pages",
    "a list with more pages than one run reads (max_pages_per_list, or the adapter's max_pages)",
    "the list is cut off; the run is incomplete",
    list_cut=True,
)
LIST_LIMIT_RECORDS = NoticeCode(
    "list-limit-records",
    "a list with more records than one run takes (max_records_per_list, embedded objects included)",
    "the engine takes no more of it and the adapter ends it; the run is incomplete",
    list_cut=True,
)
FOREIGN_ID = NoticeCode(
    "foreign-id",
    "a record whose id names a host the source does not own (allowed_hosts, id_hosts)",
    "quarantined (ids belong to their source)",
)
FOREIGN_ID_REHOMED = NoticeCode(
    "foreign-id-rehomed",
    'a record whose id names another host, with foreign_ids = "rehome"',
    "stored under an id in the source's own namespace",
)
FOREIGN_REFERENCE_REHOMED = NoticeCode(
    "foreign-reference-rehomed",
    'a reference to an id on another host, with foreign_ids = "rehome"',
    "the reference is rewritten to the re-homed id",
)
