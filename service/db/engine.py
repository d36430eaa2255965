"""Engine and session factory for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from service.indexjobs.hooks import install_index_hooks
from service.sync.hooks import install_sync_hooks
from service.webhooks.hooks import install_webhook_hooks


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # connect_timeout: an unreachable server must give a quick 503, not a request hanging for minutes.
    connect_args = {"connect_timeout": 5, **kwargs.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run during a write; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    files = [row[2] for row in cursor.execute("PRAGMA database_list").fetchall() if row[2]]
    cursor.close()
    _owner_only(files)


def _owner_only(db_files: list[str]) -> None:
    """The database, its WAL and shared-memory files: readable by the service's user only (0600)."""
    for name in db_files:
        for path in (name, f"{name}-wal", f"{name}-shm"):
            with contextlib.suppress(OSError):  # absent yet, or not ours to change
                if os.stat(path).st_mode & 0o077:
                    os.chmod(path, 0o600)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Every session of the app, the CLI and the seeds comes from here, so every write to an indexed
    entity queues its index job in the same transaction (service/indexjobs/hooks.py), every change a
    partner's mirror must see moves `updated_at` or leaves a removal row (service/sync/hooks.py), and every
    change a partner's webhook listens to leaves a delivery row (service/webhooks/hooks.py)."""
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
    install_index_hooks(factory)
    install_sync_hooks(factory)
    install_webhook_hooks(factory)  # after the sync hooks: reads the `updated_at` they move
    return factory
