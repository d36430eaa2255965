"""One outbox claimer per SQLite database.

SQLite has no `SKIP LOCKED`: two processes claiming jobs would both apply them. A worker on SQLite
therefore first takes an exclusive lock on a file next to the database; PostgreSQL needs no guard."""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

QUEUE_LABELS = {
    "outbox": "la file d'indexation",
    "webhooks": "la file des webhooks",
    "emails": "la file des e-mails",
}


class OutboxBusyError(RuntimeError):
    def __init__(self, lock_path: Path, queue: str = "outbox") -> None:
        super().__init__(
            f"un autre processus applique déjà {QUEUE_LABELS.get(queue, queue)} de cette base SQLite "
            f"(verrou {lock_path}) ; plusieurs workers demandent PostgreSQL"
        )


class ClaimGuard:
    """Held for the life of a worker; `release()` (or process exit) frees it."""

    def __init__(self, handle: IO[bytes] | None) -> None:
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def take_claim_guard(database_url: str, queue: str = "outbox") -> ClaimGuard:
    """The claim lock of one queue (`outbox`: index jobs, `webhooks`: deliveries, `emails`: mails to
    send and digests to queue): each its own file."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return ClaimGuard(None)
    lock_path = Path(url.database).with_name(f"{Path(url.database).name}.{queue}.lock")
    handle = open(lock_path, "a+b")  # noqa: SIM115 - held open while the worker runs
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise OutboxBusyError(lock_path, queue) from None
    return ClaimGuard(handle)
