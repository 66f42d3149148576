"""Hooks of the documentation site (``hooks:`` in mkdocs.yml).

Some pages are written on other branches and linked from this site before they are merged.
Until such a page exists, a stand-in that says so is generated at its path (outside the nav), so
that ``mkdocs build --strict`` keeps checking every other link; once the page is merged, no
stand-in is made and the entry here can go.
"""

from __future__ import annotations

from typing import Any

from mkdocs.structure.files import File, Files, InclusionLevel

#: path below docs/ -> title of a page that arrives with a merge (TODO(lead): empty after merging).
PENDING = {
    "repairs.md": "Repairs",
}


def on_files(files: Files, config: Any) -> Files:
    """Add a stand-in for each pending page that is not there yet."""
    for path, title in PENDING.items():
        if files.get_file_from_path(path) is None:
            text = f"# {title}\n\nThis page is being written and arrives with the next release of the documentation.\n"
            files.append(File.generated(config, path, content=text, inclusion=InclusionLevel.NOT_IN_NAV))
    return files
