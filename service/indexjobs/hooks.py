"""Which flushed changes touch the index: one watcher per kind, run from one `after_flush` hook.

The hook is installed on a session factory explicitly (service/db/engine.py, `make_session_factory`),
never as a side effect of an import: every writer (API, web, seeds, CLI) makes its sessions there, so
every write is queued the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from service.casestudies.models import CaseStudy
from service.discussions.models import Post, Thread
from service.indexjobs.models import IndexKind
from service.indexjobs.outbox import enqueue


def _touched(session: Session) -> list[Any]:
    """New, deleted, and really modified objects of the flush (dirty may hold unchanged ones)."""
    return [
        obj
        for obj in (*session.new, *session.dirty, *session.deleted)
        if obj not in session.dirty or session.is_modified(obj)
    ]


def _changed_cases(objects: list[Any]) -> set[int]:
    return {obj.id for obj in objects if isinstance(obj, CaseStudy) and obj.id is not None}


def _changed_threads(objects: list[Any]) -> set[int]:
    ids: set[int] = set()
    for obj in objects:
        if isinstance(obj, Thread) and obj.id is not None:
            ids.add(obj.id)
        elif isinstance(obj, Post) and obj.thread_id is not None:
            ids.add(obj.thread_id)
    return ids


WATCHERS: dict[IndexKind, Callable[[list[Any]], set[int]]] = {
    IndexKind.case: _changed_cases,
    IndexKind.thread: _changed_threads,
}


def record_index_changes(session: Session, _context: Any) -> None:
    objects = _touched(session)
    for kind, changed in WATCHERS.items():
        enqueue(session, kind, changed(objects))


def install_index_hooks(factory: sessionmaker[Session]) -> None:
    """Queue index jobs for every session this factory makes (idempotent)."""
    if not event.contains(factory, "after_flush", record_index_changes):
        event.listen(factory, "after_flush", record_index_changes)
