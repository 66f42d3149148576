"""The report of one mirror run: downloaded, unchanged, failed by reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: Failures listed individually in the report (the counts cover all of them).
MAX_EXAMPLES = 50


@dataclass
class MirrorReport:
    """Counts and failures of one :meth:`FileMirror.run`."""

    checked: int = 0
    downloaded: int = 0
    unchanged: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    repaired: Counter[str] = field(default_factory=Counter)
    """URL repairs that were needed, by name (``double-slash``, ``doubled-extension``)."""
    text_extracted: int = 0
    bytes: int = 0
    """Body bytes received (conditional requests answered 304 add nothing)."""
    requests: int = 0
    duration_s: float = 0.0
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def failed_total(self) -> int:
        """Files whose check failed."""
        return sum(self.failed.values())

    def add_failure(self, file_id: str, reason: str, message: str) -> None:
        """Count one failure and keep the first :data:`MAX_EXAMPLES` as examples."""
        self.failed[reason] += 1
        if len(self.failures) < MAX_EXAMPLES:
            self.failures.append({"id": file_id, "reason": reason, "message": message})

    def to_json_dict(self) -> dict[str, Any]:
        """The report as ``ris-connector files --json`` prints it."""
        return {
            "status": "complete" if not self.failed else "failures",
            "checked": self.checked,
            "downloaded": self.downloaded,
            "unchanged": self.unchanged,
            "failed": self.failed_total,
            "failed_by_reason": dict(sorted(self.failed.items())),
            "repaired": dict(sorted(self.repaired.items())),
            "text_extracted": self.text_extracted,
            "bytes": self.bytes,
            "requests": self.requests,
            "duration_s": round(self.duration_s, 3),
            "failures": self.failures,
        }

    def summary(self) -> str:
        """A few lines for people."""
        lines = [
            f"files: {self.checked} checked, {self.downloaded} downloaded, {self.unchanged} unchanged, "
            f"{self.failed_total} failed ({self.bytes:,} bytes in {self.requests} requests, {self.duration_s:.1f} s)"
        ]
        for reason, count in sorted(self.failed.items()):
            lines.append(f"  failed:{reason}: {count}")
        for repair, count in sorted(self.repaired.items()):
            lines.append(f"  repaired URL ({repair}): {count}")
        if self.text_extracted:
            lines.append(f"  text extracted: {self.text_extracted}")
        for f in self.failures[:10]:
            lines.append(f"  {f['reason']}: {f['id']}: {f['message']}")
        return "\n".join(lines)
