"""``ris-connector`` in a subprocess, as cron or a shell runs it: exit status, stdout, stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``ris-connector ARGS`` in a fresh interpreter (never raises on a non-zero exit)."""
    return subprocess.run(
        [sys.executable, "-m", "ris_connector.cli", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def cli_json(*args: str, timeout: float = 120) -> tuple[int, Any]:
    """Run a command with ``--json``; (exit status, the JSON document on stdout)."""
    done = cli(*args, "--json", timeout=timeout)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def write_config(path: Path, db: Path, sources: str) -> Path:
    """A configuration file: ``db`` and the ``[[source]]`` tables in ``sources``, fast HTTP for 127.0.0.1."""
    path.write_text(
        f'db = "{db}"\n[defaults.http]\nrate_limit = 0\nbackoff_initial = 0.01\nbackoff_max = 0.05\n\n{sources}\n',
        encoding="utf-8",
    )
    return path
