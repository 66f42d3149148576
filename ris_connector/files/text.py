"""Text extraction from PDFs with pypdf (optional extra ``ris-connector[pdf]``)."""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

log = logging.getLogger("ris_connector.files")

#: Pages read at most per document; council PDFs with thousands of pages are scanned annexes.
MAX_PAGES = 2000


def pdf_support() -> bool:
    """Whether pypdf is installed (``pip install ris-connector[pdf]``)."""
    try:
        import pypdf  # noqa: F401
    except ImportError:
        return False
    return True


def extract_pdf_text(path: Path, *, max_pages: int = MAX_PAGES) -> str:
    """The text of the PDF at ``path``; raises ValueError if it cannot be read as a PDF."""
    import pypdf
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        parts = [page.extract_text() or "" for page in reader.pages[:max_pages]]
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from exc
    return "\n".join(parts).strip()


def fold(text: str) -> str:
    """Text as search compares it: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())
