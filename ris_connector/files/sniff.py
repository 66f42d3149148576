"""Content sniffing: what a file's first bytes show, checked against the type the source declared.

Catches the classic failure of RIS servers: an HTML error page ("Die Seite konnte nicht angezeigt
werden") answered with status 200 and ``Content-Type: application/pdf``.
"""

from __future__ import annotations

from pathlib import PurePosixPath

#: How many leading bytes sniffing looks at (PDF allows junk before ``%PDF-`` within 1024 bytes).
HEAD_BYTES = 1024

#: Types that say nothing about the content; the declared mimeType or file name decides instead.
GENERIC_TYPES = frozenset(
    {"", "application/octet-stream", "application/octetstream", "binary/octet-stream", "application/download"}
)

_FAMILY_TYPES = {
    "pdf": "application/pdf",
    "zip": "application/zip",
    "ole2": "application/x-ole-storage",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "tiff": "image/tiff",
    "rtf": "application/rtf",
    "html": "text/html",
}

_TYPE_FAMILY = {
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "application/zip": "zip",
    "application/x-zip-compressed": "zip",
    "application/epub+zip": "zip",
    "application/msword": "ole2",
    "application/vnd.ms-excel": "ole2",
    "application/vnd.ms-powerpoint": "ole2",
    "application/vnd.ms-outlook": "ole2",
    "application/x-msg": "ole2",
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/pjpeg": "jpeg",
    "image/gif": "gif",
    "image/tiff": "tiff",
    "application/rtf": "rtf",
    "text/rtf": "rtf",
    "text/html": "html",
    "application/xhtml+xml": "html",
}

_EXT_FAMILY = {
    "pdf": "pdf",
    "docx": "zip",
    "xlsx": "zip",
    "pptx": "zip",
    "odt": "zip",
    "ods": "zip",
    "odp": "zip",
    "zip": "zip",
    "doc": "ole2",
    "xls": "ole2",
    "ppt": "ole2",
    "msg": "ole2",
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "gif": "gif",
    "tif": "tiff",
    "tiff": "tiff",
    "rtf": "rtf",
    "htm": "html",
    "html": "html",
}

_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<h1", b"<p>", b"<div")


def media_type(value: str | None) -> str:
    """``value`` lower-cased without parameters (``text/html; charset=x`` -> ``text/html``)."""
    return (value or "").split(";", 1)[0].strip().lower()


def family_of_type(value: str | None) -> str | None:
    """The sniffable family of a media type (``pdf``, ``zip``, ``ole2``, ...), None if it has none."""
    mt = media_type(value)
    if mt.startswith(("application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument.")):
        return "zip"
    return _TYPE_FAMILY.get(mt)


def family_of_name(name: str | None) -> str | None:
    """The family a file name's extension implies (``protokoll.pdf`` -> ``pdf``)."""
    if not name:
        return None
    suffix = PurePosixPath(name.split("?", 1)[0]).suffix.lower().lstrip(".")
    return _EXT_FAMILY.get(suffix)


def sniff(head: bytes) -> str | None:
    """The family the leading bytes show, or None when they show nothing definite (text, unknown)."""
    if b"%PDF-" in head[:HEAD_BYTES]:
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole2"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<?xml") and b"<html" in text:
        return "html"
    if text.startswith(_HTML_STARTS):
        return "html"
    return None


def expected_family(declared: str | None, *names: str | None) -> str | None:
    """What the content should be: the declared mimeType's family, else the file name's."""
    family = family_of_type(declared)
    if family is None and media_type(declared) in GENERIC_TYPES:
        for name in names:
            family = family_of_name(name)
            if family:
                break
    return family


def check_content(head: bytes, expected: str | None) -> str | None:
    """A failure reason (``html-error-page``, ``content-mismatch``) or None if the bytes fit."""
    found = sniff(head)
    if found == "html" and expected != "html":
        return "html-error-page"
    if expected is not None and expected != "html" and found != expected:
        return "content-mismatch"
    return None


def effective_type(declared: str | None, response_type: str | None, head: bytes) -> str:
    """The content type to serve: the declared mimeType, else the sniffed one, else the server's."""
    mt = media_type(declared)
    if mt and mt not in GENERIC_TYPES and "/" in mt:
        return mt
    found = sniff(head)
    if found is not None and found != "zip":
        return _FAMILY_TYPES[found]
    served = media_type(response_type)
    if served and served not in GENERIC_TYPES and served != "text/html":
        return served
    return _FAMILY_TYPES["zip"] if found == "zip" else "application/octet-stream"
