"""``export-oparl``: the endpoint as a tree of static files.

Every URL ``<base>/<path>`` of the output becomes the file ``<out>/<path>/index.json``: the
System, the Body list and every Body, every page of every external list (pages 2.. live at
``<list>/page/N``) and every object, deleted ones as tombstones. A static host serves
``<path>/index.json`` for ``<path>`` with ``Content-Type: application/json``. Filters and
``limit`` need the live endpoint (``ris-connector serve``). With a mirror directory, each mirrored
File's copy is placed at both of its URLs (``file/<key>/access/<name>``, ``.../download/<name>``),
hard-linked to the mirror's blob where the file system allows, else copied; a static host picks
the Content-Type from the name's extension.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ris_connector.outputs.oparl.app import OParlApp
from ris_connector.outputs.oparl.catalogue import BODY_LISTS
from ris_connector.outputs.oparl.documents import ACCESS, DOWNLOAD
from ris_connector.outputs.oparl.render import Urls

log = logging.getLogger(__name__)


def export_static(app: OParlApp, out_dir: str | Path, base_url: str) -> int:
    """Write every URL the endpoint serves without query parameters below ``out_dir``; returns the file count."""
    base = base_url.rstrip("/")
    root = Path(out_dir)
    with app.reading() as index:  # copied: the requests below may bring the index up to date
        bodies = [b for b in index.bodies if not b.deleted]
        entries = list(index.entries.values())
        documents = [(index.entries[i], doc) for i, doc in index.documents.items()]
    urls = Urls(base)
    written = 0

    def fetch(url: str) -> dict[str, Any]:
        path = url[len(base) :]
        status, payload = app.get_json(path, "", base)
        if status != 200:
            raise RuntimeError(f"the endpoint answered {status} for {url}: {payload}")
        return payload

    def write(url: str, payload: dict[str, Any]) -> None:
        nonlocal written
        relative = url[len(base) :].strip("/")
        target = root.joinpath(*relative.split("/"), "index.json")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        written += 1

    def write_list(first_url: str) -> None:
        url: str | None = first_url
        while url:
            payload = fetch(url)
            write(url, payload)
            url = payload["links"].get("next")

    if urlsplit(base).query:
        raise ValueError("the base URL must not have a query")
    write(urls.system, fetch(urls.system))
    write_list(urls.body_list)
    for body in bodies:
        for attr in BODY_LISTS:
            write_list(urls.body_attr_list(body, attr))
    for entry in entries:
        url = urls.object(entry)
        write(url, fetch(url))
    for file_entry, doc in documents:
        for kind in (ACCESS, DOWNLOAD):
            url = urls.document(file_entry, kind, doc)
            place(doc.path, root.joinpath(*url[len(base) :].strip("/").split("/")))
            written += 1
    log.info("wrote %d files below %s", written, root)
    return written


def place(blob: Path, target: Path) -> None:
    """Put a mirrored blob at ``target``: a hard link (blobs are never changed in place), else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    try:
        os.link(blob, part)
    except OSError:
        shutil.copyfile(blob, part)
    part.replace(target)
