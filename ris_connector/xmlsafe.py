"""The one place XML from outside is parsed: hardened lxml parsers, streaming, encoding repair.

Every byte of XML that ris-connector reads goes through here, so the rules hold everywhere:

* no entity expansion, no DTD loading, no network access, no huge trees, no processing
  instructions; a document with a ``<!DOCTYPE`` in its prolog is refused (:class:`UnsafeXml`)
  before the parser sees it, and again afterwards if it slipped through (the same characters
  inside the document, e.g. in CDATA, are content);
* bytes are decoded here, not by libxml2, so lying labels can be repaired: a latin-1 (or
  ASCII, UTF-8 or missing) label is read as UTF-8 where the bytes are valid UTF-8 and as
  cp1252 where they are not; illegal control characters are removed and counted;
* large documents stream (:class:`XmlStream`): record elements are handed out one by one and
  cleared, together with the records before them, so memory stays bounded.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from ris_connector.errors import InvalidPayload, UnsafeXml

log = logging.getLogger(__name__)

#: Characters XML 1.0 forbids (C0 controls except tab, LF, CR; U+FFFE, U+FFFF).
_ILLEGAL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: The C0 controls XML forbids, as bytes: text whose UTF-8 has none of them and no U+FFFE/U+FFFF
#: has no illegal character, told by C passes (``bytes.translate``, ``in``) faster than the
#: search, which then runs only when there is something to remove.
_CONTROL_BYTES = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))
_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_PROLOG_NOISE = re.compile(r"<!--.*?-->|<\?.*?\?>", re.DOTALL)
_DOCTYPE = re.compile(r"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_ROOT_START = re.compile(r"<[A-Za-z_:]")
_MAX_PROLOG = 1024 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: Labels whose documents are read as UTF-8 with a cp1252 fallback for bytes that are not UTF-8.
_REPAIRED_LABELS = frozenset({"latin-1", "iso8859-1", "ascii", "utf-8", "cp1252"})
_FALLBACK_HANDLER = "ris_connector.cp1252"


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 are read as cp1252."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    chunk = exc.object[exc.start : exc.end]
    return chunk.decode("cp1252", errors="replace"), exc.end


codecs.register_error(_FALLBACK_HANDLER, _cp1252_fallback)

_SECURITY = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "attribute_defaults": False,
    "huge_tree": False,
    "remove_pis": True,
}


def safe_parser(*, remove_comments: bool = True, remove_blank_text: bool = False) -> etree.XMLParser:
    """An lxml parser for untrusted bytes that are already UTF-8 (see :class:`XmlDecoder`)."""
    return etree.XMLParser(
        encoding="utf-8",
        remove_comments=remove_comments,
        remove_blank_text=remove_blank_text,
        collect_ids=False,
        **_SECURITY,
    )


def _codec_name(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None


#: The first bytes of ``<?`` (or ``<`` and a name) in the wide encodings (XML 1.0, Appendix F).
_SNIFF = (
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)


def _sniffed(data: bytes) -> str | None:
    """UTF-16 or UTF-32 without a byte order mark or label, told by the first character."""
    for start, name in _SNIFF:
        if data.startswith(start):
            return name
    return None


def _usable_codec(codec: str, data: bytes) -> str:
    """``codec``, or what the bytes say where a label cannot be followed.

    A label that names no text encoding (``base64``, ``zlib``, ``rot13``) is read as UTF-8 (with
    the cp1252 repair). UTF-16 and UTF-32 without a byte order mark: the order is read from the
    first character (``<``); bytes that are ASCII there (the label lies) are read as UTF-8.
    Python's ``utf-16`` decoder would raise for a stream without a BOM.
    """
    try:
        info = codecs.lookup(codec)
    except LookupError:
        return "utf-8"
    if not getattr(info, "_is_text_encoding", True):
        return "utf-8"
    if info.name in ("utf-16", "utf-32"):
        width = 2 if info.name == "utf-16" else 4
        lt = b"<".ljust(width, b"\x00")
        if data.startswith(lt):
            return info.name + "-le"
        if data.startswith(lt[::-1]):
            return info.name + "-be"
        return "utf-8"
    return codec


@dataclass
class DecodeReport:
    """What the decoder found: the label, how the bytes were read, control characters removed."""

    label: str | None = None
    read_as: str = "utf-8"
    control_characters: int = 0

    @property
    def relabelled(self) -> bool:
        """True when the label said something else than how the bytes were read."""
        return self.label is not None and _codec_name(self.label) != _codec_name(self.read_as)


class XmlDecoder:
    """Turns untrusted XML bytes into clean UTF-8 bytes, chunk by chunk, refusing DOCTYPEs.

    ``charset`` is the HTTP Content-Type charset (after a BOM, before the XML declaration, as
    RFC 7303 orders them); ``encoding`` forces a codec and skips detection.
    """

    def __init__(self, *, charset: str | None = None, encoding: str | None = None, where: str = "XML") -> None:
        self.where = where
        self.report = DecodeReport()
        self._charset = charset
        self._forced = _codec_name(encoding) if encoding else None
        if encoding and self._forced is None:
            raise ValueError(f"unknown encoding {encoding!r}")
        self._decoder: codecs.IncrementalDecoder | None = None
        self._repairing = False
        self._decided = False
        self._head = b""
        self._prolog: str | None = ""

    def feed(self, data: bytes, *, final: bool = False) -> bytes:
        """Decode, clean and re-encode one chunk; returns UTF-8 bytes for the parser."""
        if self._decoder is None:
            self._head += data
            if len(self._head) < 4096 and not final:
                return b""
            data, self._head = self._head, b""
            data = self._start(data)
        if self._decoder is None:
            text = ""
        elif self._repairing:
            text = self._repair(data, final)
        else:
            text = self._decoder.decode(data, final)
        if self._repairing and not self._decided and not data.isascii():
            self._decide(data)
        clean = text.encode("utf-8")
        if len(clean.translate(None, _CONTROL_BYTES)) != len(clean) or "\ufffe" in text or "\uffff" in text:
            text, removed = _ILLEGAL_CHARS.subn("", text)
            if removed:
                self.report.control_characters += removed
                clean = text.encode("utf-8")
        if self._prolog is not None:
            self._check_prolog(text, final=final)
        return clean

    def _start(self, data: bytes) -> bytes:
        codec: str | None = None
        for bom, name in _BOMS:
            if data.startswith(bom):
                codec, data = name, data[len(bom) :]
                self.report.label = name
                break
        if codec is None:
            declared = _DECLARATION.match(data)
            label = self._charset or (declared.group(1).decode("ascii") if declared else None)
            self.report.label = label
            codec = self._forced or _codec_name(label) or _sniffed(data) or "utf-8"
        if self._forced:
            codec = self._forced
        codec = _usable_codec(codec, data)
        if codec in _REPAIRED_LABELS and not self._forced:
            self._repairing = True
            self._decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
            self.report.read_as = "utf-8"
        else:
            self._decoder = codecs.getincrementaldecoder(codec)(errors="replace")
            self.report.read_as = codec
            self._decided = True
        return data

    def _repair(self, data: bytes, final: bool) -> str:
        """UTF-8 where the bytes are UTF-8, cp1252 where not: the fallback handler's result, faster.

        The decoder runs with ``surrogateescape`` (each byte that is not UTF-8 becomes one lone
        surrogate) and the text is then fixed up in C: when every character came from one byte
        the consumed bytes are all ASCII or cp1252 and are decoded as cp1252; otherwise they are
        decoded again with the per-sequence fallback handler. Both give what decoding with the
        handler in the first place gives, without a Python call per non-UTF-8 byte.
        """
        decoder = self._decoder
        assert decoder is not None
        pending = decoder.getstate()[0]
        text = decoder.decode(data, final)
        if text.isascii():
            return text
        consumed = len(pending) + len(data) - len(decoder.getstate()[0])
        if len(text) == consumed:
            # one character per byte: the consumed bytes are what re-encoding would give back
            raw = pending + data if pending else data
            return (raw if len(raw) == consumed else raw[:consumed]).decode("cp1252", errors="replace")
        return text.encode("utf-8", "surrogateescape").decode("utf-8", errors=_FALLBACK_HANDLER)

    def _decide(self, data: bytes) -> None:
        """The first chunk with non-ASCII bytes tells whether the document is UTF-8 or cp1252."""
        self._decided = True
        try:
            codecs.getincrementaldecoder("utf-8")().decode(data, False)
        except UnicodeDecodeError:
            self.report.read_as = "cp1252"
            return
        self.report.read_as = "utf-8"

    def _check_prolog(self, text: str, *, final: bool) -> None:
        """Refuse a DOCTYPE (or ENTITY) declaration in the prolog: before the root element only.

        The same characters inside the document (CDATA, text, attribute values) are content, not
        declarations. Comments and processing instructions are skipped; while one is still open
        the check waits for more text.
        """
        assert self._prolog is not None
        self._prolog += text
        visible = _PROLOG_NOISE.sub("", self._prolog)
        root = _ROOT_START.search(visible)
        head = visible[: root.start()] if root else visible
        if _DOCTYPE.search(head):
            self._prolog = None
            raise UnsafeXml(f"{self.where}: document type declarations (DOCTYPE) are refused")
        unfinished = "<!--" in head or "<?" in head
        if final or (root and not unfinished):
            self._prolog = None
        elif len(self._prolog) > _MAX_PROLOG:
            raise UnsafeXml(f"{self.where}: prolog longer than {_MAX_PROLOG} characters")


def _check_tree(tree: etree._ElementTree, where: str) -> None:
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeXml(f"{where}: document type declarations (DOCTYPE) are refused")


def parse_bytes(
    data: bytes, *, charset: str | None = None, encoding: str | None = None, where: str = "XML"
) -> tuple[etree._Element, DecodeReport]:
    """Parse a whole (small) document safely; returns the root and the decode report."""
    decoder = XmlDecoder(charset=charset, encoding=encoding, where=where)
    clean = decoder.feed(data, final=True)
    try:
        root = etree.fromstring(clean, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise InvalidPayload(f"{where}: not well-formed XML: {exc}") from None
    _check_tree(root.getroottree(), where)
    return root, decoder.report


def clean_document(
    data: bytes, *, charset: str | None = None, encoding: str | None = None, where: str = "XML"
) -> tuple[bytes, DecodeReport]:
    """A whole document as clean UTF-8 bytes for another parser (zeep): repaired, DOCTYPE refused.

    The XML declaration is rewritten to say UTF-8, so the receiving parser reads what we decoded.
    """
    decoder = XmlDecoder(charset=charset, encoding=encoding, where=where)
    clean = decoder.feed(data, final=True)
    return _DECLARED_ENCODING.sub(b"\\1utf-8\\2", clean, count=1), decoder.report


_DECLARED_ENCODING = re.compile(rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*["'])[A-Za-z0-9._:-]+(["'])""")


def local_name(element: etree._Element) -> str:
    """The tag without its namespace (comments and PIs give an empty string)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


class XmlStream:
    """Streams the elements named in ``tags`` (local names) out of chunks of untrusted bytes.

    Each element is yielded at its end tag, complete with its children. Once the consumer
    asks for the next one, the element is cleared and the record elements before it are
    removed from the tree, so memory holds about one record at a time. Elements nested in
    another element of ``tags`` are cleared with their outermost ancestor.
    """

    def __init__(
        self,
        chunks: Iterable[bytes],
        tags: Collection[str],
        *,
        charset: str | None = None,
        encoding: str | None = None,
        where: str = "XML",
    ) -> None:
        self._chunks = chunks
        self._tags = frozenset(tags)
        self.where = where
        self.decoder = XmlDecoder(charset=charset, encoding=encoding, where=where)

    @property
    def report(self) -> DecodeReport:
        """How the bytes were decoded; complete once iteration has ended."""
        return self.decoder.report

    def __iter__(self) -> Iterator[etree._Element]:
        parser = etree.XMLPullParser(
            events=("start", "end"),
            tag=[f"{{*}}{t}" for t in sorted(self._tags)],
            encoding="utf-8",
            remove_comments=True,
            collect_ids=False,
            **_SECURITY,
        )
        depth = 0
        checked = False
        for chunk, final in _with_final(self._chunks):
            clean = self.decoder.feed(chunk, final=final)
            try:
                if clean:
                    parser.feed(clean)
                if final:
                    parser.close()
            except etree.XMLSyntaxError as exc:
                raise InvalidPayload(f"{self.where}: not well-formed XML: {exc}") from None
            for event, element in parser.read_events():
                if not checked:
                    _check_tree(element.getroottree(), self.where)
                    checked = True
                if event == "start":
                    depth += 1
                    continue
                depth -= 1
                yield element
                if depth == 0:
                    self._release(element)

    def _release(self, element: etree._Element) -> None:
        element.clear(keep_tail=False)
        previous = element.getprevious()
        if previous is None or local_name(previous) not in self._tags:
            return  # nothing before it to remove (the parent is only needed to remove)
        parent = element.getparent()
        while previous is not None and local_name(previous) in self._tags:
            parent.remove(previous)
            previous = element.getprevious()


def _with_final(chunks: Iterable[bytes]) -> Iterator[tuple[bytes, bool]]:
    """Pairs each chunk with whether it is the last one (an empty last chunk if there is none)."""
    iterator = iter(chunks)
    try:
        current = next(iterator)
    except StopIteration:
        yield b"", True
        return
    for following in iterator:
        yield current, False
        current = following
    yield current, True
