"""The writer process's side of :mod:`.sqlite_writer`: read a batch, write it, answer."""

from __future__ import annotations

import pickle
import signal
import sys
from typing import IO

from ris_connector.store.sqlite import SQLiteStore, connect_file
from ris_connector.store.sqlite_writer import HEADER, READY, read_message


def serve(file: str, stdin: IO[bytes], stdout: IO[bytes]) -> int:
    """The child's loop: apply each batch from ``stdin`` in one transaction, answer on ``stdout``."""
    db = connect_file(file, file)
    db.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints after the answer: the parent need not wait
    stdout.write(READY)
    stdout.flush()
    try:
        while (blob := read_message(stdin)) is not None:
            batch = pickle.loads(blob)  # noqa: S301 - written by the parent process only
            try:
                db.execute("BEGIN IMMEDIATE")
                SQLiteStore._apply(db, batch)
                db.execute("COMMIT")
                answer = b""
            except Exception as exc:  # the parent reports it; this child stops
                if db.in_transaction:
                    db.execute("ROLLBACK")
                answer = (str(exc) or type(exc).__name__).encode("utf-8", "replace")
            stdout.write(HEADER.pack(len(answer)) + answer)
            stdout.flush()
            if answer:
                return 1
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        return 0
    finally:
        db.close()


def main() -> int:
    """The child: ``python -c ... FILE`` (see :class:`WriterProcess`) or ``python -m`` this module."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the terminal's Ctrl-C is the parent's to handle
    return serve(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    sys.exit(main())
