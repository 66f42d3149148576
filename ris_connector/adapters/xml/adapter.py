"""The XML export adapter: streams exports (URLs or files) and maps them with a TOML mapping."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path

from pydantic import Field

from ris_connector.adapters.base import Adapter, AdapterContext, AdapterOptions, Checkpoint, Item
from ris_connector.adapters.sdk.window import Window, has_window, window_for
from ris_connector.adapters.sdk.xmlsource import decoding_notices
from ris_connector.errors import ConfigError, SourceError
from ris_connector.mapping import Mapping, MappingPlan, Place, load_mapping
from ris_connector.xmlsafe import XmlStream

_CHUNK = 1024 * 1024


class XmlOptions(AdapterOptions):
    """Options of the XML adapter."""

    mapping: str
    """A mapping file path or the name of a shipped mapping (``allris3``)."""
    urls: list[str] = Field(default_factory=list)
    """Export URLs besides the source's ``url``; ``{since:FMT}``/``{until:FMT}`` make a date window."""
    file: list[str] = Field(default_factory=list)
    """Local export files (read in place of URLs, e.g. a nightly dump)."""
    chunk_size: int = Field(_CHUNK, ge=4096)


class XmlAdapter(Adapter[XmlOptions]):
    """Reads XML exports in bounded memory and maps their elements to records."""

    name = "xml"
    Options = XmlOptions
    description = "XML exports (URLs or files) mapped by a TOML mapping file, e.g. ALLRIS 3 template pages"

    def __init__(self, ctx: AdapterContext, options: XmlOptions) -> None:
        super().__init__(ctx, options)
        self.opts = options
        self.mapping: Mapping = load_mapping(options.mapping)
        if not self.mapping.xml_records():
            raise ConfigError(f"mapping {self.mapping.source_file}: no [[record]] with an 'element' for XML")
        self.plan = MappingPlan.for_source(self.mapping, ctx, self.name)
        self._seen_repeated: set[str] = set()
        self.reading: str | None = None
        """The export being read (named if the run fails unexpectedly)."""

    @classmethod
    def requires_full_run(cls, options: XmlOptions) -> bool:
        """Exports without a date window have no change filter: every run reads (and reconciles) all."""
        return not any(has_window(u) for u in options.urls)

    def _urls(self) -> list[str]:
        urls = list(self.opts.urls)
        if self.ctx.source.url and self.ctx.source.url not in urls and not self.opts.file:
            urls.insert(0, self.ctx.source.url)
        return urls

    def fetch(self) -> Iterator[Item]:
        if not self._urls() and not self.opts.file:
            raise ConfigError(f"source {self.ctx.source.name!r}: give the export as url, urls or file")
        for path in self.opts.file:
            yield from self._document(f"file:{path}", partial(_file_chunks, path, self.opts.chunk_size), None, None)
        for template in self._urls():
            stream = f"xml:{template}"
            started = self.ctx.clock.now()
            window = window_for(
                now=started,
                since=self.ctx.since(stream),
                days_back=self.mapping.window_days_back,
                days_ahead=self.mapping.window_days_ahead,
            )
            yield from self._url(template, window)

    def _url(self, template: str, window: Window) -> Iterator[Item]:
        url = window.fill(template)
        self.reading = url
        started = self.ctx.clock.now()
        response = self.ctx.http.get(url)
        body = memoryview(response.content)
        size = self.opts.chunk_size

        def chunks() -> Iterator[bytes]:
            for i in range(0, len(body), size):
                yield bytes(body[i : i + size])

        yield from self._document(f"xml:{template}", chunks, response.url, response.charset)
        yield Checkpoint.watermark(f"xml:{template}", started)

    def _document(
        self, stream: str, chunks: Callable[[], Iterable[bytes]], url: str | None, charset: str | None
    ) -> Iterator[Item]:
        where = f"[{self.ctx.source.name}] {url or stream}"
        self.reading = url or stream
        encoding = None if self.mapping.encoding == "auto" else self.mapping.encoding
        xml = XmlStream(chunks(), self.mapping.record_tags(), charset=charset, encoding=encoding, where=where)
        positions: dict[str, int] = {}
        place = Place(url=url)
        items = self.plan.items
        try:
            for element in xml:
                yield from items(element, place, positions, self._seen_repeated)
        except SourceError as exc:
            if exc.url is None and url:
                exc.url = url
            raise
        yield from decoding_notices(xml.report, url or stream)
        if url is None:
            yield Checkpoint.watermark(stream, self.ctx.clock.now())


def _file_chunks(path: str, size: int) -> Iterator[bytes]:
    file = Path(path)
    try:
        handle = file.open("rb")
    except OSError as exc:
        raise SourceError(f"cannot read export file {file}: {exc.strerror or exc}") from None
    with handle:
        while True:
            chunk = handle.read(size)
            if not chunk:
                return
            yield chunk
