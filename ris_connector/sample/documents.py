"""The documents the sample server serves: tiny valid PDFs with real text (written by hand), or DOCX."""

from __future__ import annotations

import io
import zipfile

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def tiny_pdf(*lines: str) -> bytes:
    """A PDF 1.4 whose page shows ``lines`` in Helvetica (WinAnsi, so German umlauts work)."""
    ops = [b"BT /F1 12 Tf 14 TL 72 770 Td"]
    ops += [b"(" + _escape(line) + b") Tj T*" for line in lines]
    ops.append(b"ET")
    content = b"\n".join(ops)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def sample_document(num: str, name: str, mime_type: str) -> bytes:
    """The bytes served for sample File ``num``: a PDF showing its name, or a minimal DOCX package."""
    if mime_type == DOCX_TYPE:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for member, text in (
                ("[Content_Types].xml", '<?xml version="1.0"?><Types/>'),
                ("word/document.xml", f'<?xml version="1.0"?><document><t>{num} {name}</t></document>'),
            ):
                z.writestr(zipfile.ZipInfo(member, date_time=(2024, 1, 1, 0, 0, 0)), text)
        return buf.getvalue()
    return tiny_pdf(f"ris-connector sample file {num}", name)
