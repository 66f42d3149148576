from ris_connector.adapters.sdk import Item, JsonAdapter, JsonObject, NextLink


class EventsAdapter(JsonAdapter):
    """Appointments from a JSON list API: GET url?modified_since=... -> {"items": [...], "next": url}."""

    name = "events"
    type = "Appointment"  # the record type each item becomes
    records = "items"  # where a page holds its items
    paginator = NextLink("next")  # each page names the next page's URL
    since_param = "modified_since"  # incremental runs ask only for changes since the last run
    deleted_field = "deleted"  # an item marked so was deleted at the source

    def map(self, item: JsonObject) -> list[Item]:
        return self.record(
            id=self.id_of(item),
            name=item["title"],
            start=self.time(item["start"]),  # no offset: a local time of the source's timezone
            end=self.time(item.get("end")),
            location_text=item.get("place"),
            status="cancelled" if item.get("status") in ("cancelled", "abgesagt") else "scheduled",
            personal=False,
        )
