"""Documents: verified local copies of the files behind ``File`` records, and text search over them."""

from ris_connector.files.entry import NAMESPACE, FileEntry
from ris_connector.files.mirror import DEFAULT_DEST, FileMirror
from ris_connector.files.report import MirrorReport

__all__ = ["DEFAULT_DEST", "NAMESPACE", "FileEntry", "FileMirror", "MirrorReport"]
