"""The immutable result of a successful GET."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class HttpResponse:
    """A fully read response. ``url`` is the final URL after redirects; ``elapsed`` is in seconds."""

    url: str
    status: int
    headers: Mapping[str, str] = field(repr=False)
    content: bytes = field(repr=False)
    elapsed: float

    @property
    def content_type(self) -> str:
        """The lower-cased media type without parameters, e.g. ``application/json``."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of Content-Type, if any."""
        for param in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None

    @property
    def text(self) -> str:
        """The body decoded with the declared charset, else UTF-8; undecodable bytes are replaced.

        Labels lie: a latin-1 label is read as cp1252, and valid UTF-8 under it as UTF-8.
        """
        try:
            codec = codecs.lookup(self.charset or "utf-8").name
        except LookupError:
            codec = "utf-8"
        if codec == "iso8859-1":
            try:
                return self.content.decode("utf-8")
            except UnicodeDecodeError:
                codec = "cp1252"
        return self.content.decode(codec, errors="replace")
