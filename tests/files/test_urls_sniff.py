"""The pure parts of the mirror: URL repairs and content sniffing."""

from __future__ import annotations

from ris_connector.files.sniff import check_content, effective_type, expected_family
from ris_connector.files.urls import candidates, collapse_slashes, doubled_extension_fix
from ris_connector.sample.documents import DOCX_TYPE, sample_document, tiny_pdf


def test_url_repairs() -> None:
    assert collapse_slashes("https://h.de/files//rim/4/x.pdf") == "https://h.de/files/rim/4/x.pdf"
    assert doubled_extension_fix("https://h.de/f/vorlage.eml.eml") == "https://h.de/f/vorlage.eml.pdf"
    assert doubled_extension_fix("https://h.de/f/vorlage.pdf.pdf") is None
    assert doubled_extension_fix("https://h.de/f/vorlage.eml") is None


def test_candidates_order_and_dedupe() -> None:
    cands = candidates("https://h.de/d//1.eml.eml", "https://h.de/d/1.eml.eml")
    assert [c.url for c in cands] == ["https://h.de/d/1.eml.eml"]
    assert cands[0].repair == "double-slash" and cands[0].field == "downloadUrl"
    assert cands[0].fallback is not None and cands[0].fallback.url == "https://h.de/d/1.eml.pdf"
    assert [c.field for c in candidates("https://h.de/a", "https://h.de/b")] == ["downloadUrl", "accessUrl"]
    assert candidates("", None) == []


def test_sniffing() -> None:
    pdf, docx = tiny_pdf("x"), sample_document("1", "x", DOCX_TYPE)
    html = b"\n  <!DOCTYPE html><html><body>Fehler</body></html>"
    assert check_content(pdf, expected_family("application/pdf")) is None
    assert check_content(html, expected_family("application/pdf")) == "html-error-page"
    assert check_content(html, None) == "html-error-page"  # unknown type, still not an error page
    assert check_content(docx, expected_family(DOCX_TYPE)) is None
    assert check_content(pdf, expected_family(DOCX_TYPE)) == "content-mismatch"
    # a generic mimeType: the file name decides
    assert check_content(docx, expected_family("application/octet-stream", "a.pdf")) == "content-mismatch"
    assert check_content(b"From: a@b.de\r\nSubject: x\r\n", expected_family("message/rfc822")) is None
    assert effective_type(None, "application/octetstream; charset=UTF-8", pdf) == "application/pdf"
    assert effective_type("application/pdf", "text/html", pdf) == "application/pdf"
