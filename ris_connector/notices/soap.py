"""Codes of the ``soap`` adapter: what zeep could not read, and faults a mapping skips."""

from __future__ import annotations

from ris_connector.notices.code import NoticeCode

SOAP_INVALID_VALUE = NoticeCode(
    "soap-invalid-value",
    "a value that is not of its WSDL type (xsd:dateTime holding 'kaputt')",
    "zeep drops it; counted",
)
SOAP_UNEXPECTED_ELEMENTS = NoticeCode(
    "soap-unexpected-elements",
    "elements out of the WSDL's order: repeated where one belongs, or unknown",
    "the answer is read anyway; the elements zeep could not place are read by name as text",
)
SOAP_FAULT = NoticeCode(
    "soap-fault",
    "a SOAP fault in an operation the mapping marks on_fault = 'skip'",
    "that call is skipped",
)
SOAP_WSDL_WARNING = NoticeCode(
    "soap-wsdl-warning",
    "parts of the WSDL zeep cannot read",
    "counted; a mapped operation the WSDL then lacks is a SourceError",
)
