"""A child process that writes the SQLite store's batches while the sync reads the next ones.

Python runs one thread at a time, and a writer thread beside a busy sync thread waits for its
turn after every row; a process has its own. :meth:`SQLiteStore.writing_behind` starts
:func:`.sqlite_writer_child.main` in a new process (the same interpreter, this copy of the package) and hands it
each batch, pickled, over its standard input; the child writes it with the store's own code
(``SQLiteStore._apply``, one transaction) and answers on its standard output with an empty
message or the error's text. One batch is in flight at a time. The child ends when its input
closes, after the batch it is writing, so a parent that dies leaves no half batch (a
transaction is all or nothing). It ignores Ctrl-C, which the terminal sends to both: the
parent decides what happens then. It checkpoints the WAL after it has answered, so the parent
never waits for a checkpoint.

The pipe carries only what the parent process pickled itself; nothing from outside is read.
"""

from __future__ import annotations

import contextlib
import fcntl
import pickle
import select
import struct
import subprocess
import sys
from pathlib import Path
from typing import IO

from ris_connector.errors import StoreError
from ris_connector.store.base import WriteBatch

HEADER = struct.Struct("<Q")
#: The pipe to the child holds this much (Linux's default limit for a user): a batch of the
#: usual size is written into it at once, and the parent goes on while the child reads it.
_PIPE_BYTES = 1 << 20
#: The module the child runs.
_CHILD = "ris_connector.store.sqlite_writer_child"
#: What the child writes once it has opened the store.
READY = b"ris-writer-ready"


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    """``size`` bytes of ``stream``, or None if it ends first."""
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


def read_message(stream: IO[bytes]) -> bytes | None:
    head = _read_exactly(stream, HEADER.size)
    if head is None:
        return None
    return _read_exactly(stream, HEADER.unpack(head)[0])


class WriterProcess:
    """The parent's side: send a batch, wait for its answer, stop."""

    def __init__(self, file: str, display: str) -> None:
        self.display = display
        """The store's name in errors (its path as the user gave it)."""
        if not Path(sys.executable or "").name.lower().startswith("python"):
            # Embedded (a WSGI server's binary, a frozen app): no interpreter to start the child with.
            raise StoreError(f"cannot start a writer process for {display}: {sys.executable!r} is no Python")
        # The child imports this very copy of the package, whatever its working directory holds.
        root = str(Path(__file__).resolve().parents[2])
        code = f"import sys; sys.path.insert(0, {root!r}); from {_CHILD} import main; sys.exit(main())"
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", code, file],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                close_fds=True,
            )
        except OSError as exc:
            raise StoreError(f"cannot start a writer process for {display}: {exc}") from exc
        self._waiting = False
        self._ready = False
        set_size = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux: a batch fits, so send does not wait
        if set_size is not None and self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                fcntl.fcntl(self._proc.stdin.fileno(), set_size, _PIPE_BYTES)

    def ready(self) -> bool:
        """Whether the child has opened the store and waits for batches (never waits itself);
        raises :class:`StoreError` if it ended before (its error is on standard error)."""
        if self._ready:
            return True
        stdout = self._proc.stdout
        assert stdout is not None
        if not select.select([stdout], [], [], 0)[0]:
            return False
        if stdout.read(len(READY)) != READY:
            raise StoreError(f"the writer process for {self.display} did not start ({self._ended()})")
        self._ready = True
        return True

    def send(self, batch: WriteBatch) -> None:
        """Hand ``batch`` to the child (the answer to the one before must have been read)."""
        blob = pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            stdin.write(HEADER.pack(len(blob)))
            stdin.write(blob)
            stdin.flush()
        except OSError:  # the child is gone: its exit status says why
            raise StoreError(f"cannot write to {self.display}: the writer process ended ({self._ended()})") from None
        self._waiting = True

    def wait(self) -> None:
        """Wait until the batch sent last is committed; raise :class:`StoreError` if it was not."""
        if not self._waiting:
            return
        self._waiting = False
        assert self._proc.stdout is not None
        answer = read_message(self._proc.stdout)
        if answer is None:
            raise StoreError(f"cannot write to {self.display}: the writer process ended ({self._ended()})")
        if answer:
            raise StoreError(f"cannot write to {self.display}: {answer.decode('utf-8', 'replace')}")

    def _ended(self) -> str:
        try:
            code = self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "not answering"
        return f"exit status {code}"

    def close(self) -> None:
        """Close the child's input and wait for it to end (it finishes the batch it is writing)."""
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        try:
            self._proc.wait(timeout=60)
        except subprocess.TimeoutExpired:  # pragma: no cover - a write hung for a minute
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
