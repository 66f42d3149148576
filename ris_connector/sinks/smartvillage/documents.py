"""The GraphQL documents the sink sends, written against the mainserver's mutation inputs."""

from __future__ import annotations

CREATE_EVENT_RECORD = """\
mutation CreateEventRecord(
  $id: ID
  $externalId: String
  $title: String
  $description: String
  $categoryName: String
  $dates: [DateInput]
  $addresses: [AddressInput]
  $urls: [WebUrlInput]
  $organizer: OperatingCompanyInput
  $tags: [String]
) {
  createEventRecord(
    id: $id
    externalId: $externalId
    title: $title
    description: $description
    categoryName: $categoryName
    dates: $dates
    addresses: $addresses
    urls: $urls
    organizer: $organizer
    tags: $tags
  ) {
    id
    externalId
    title
  }
}
"""

DESTROY_EVENT_RECORD = """\
mutation DestroyEventRecord($id: ID) {
  destroyRecord(id: $id, recordType: "EventRecord") {
    id
    status
    statusCode
  }
}
"""
