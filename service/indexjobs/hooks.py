"""Which flushed changes touch the index: one watcher per kind, run from one `after_flush` hook.

The hook is installed on a session factory explicitly (service/db/engine.py, `make_session_factory`),
never as a side effect of an import: every writer (API, web, seeds, CLI) makes its sessions there, so
every write is queued the same way."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from service.casestudies.models import CaseStudy
from service.collections.models import Collection as Selection
from service.collections.models import CollectionItem
from service.contests.models import Contest, ContestEntry
from service.discussions.models import Post, Thread
from service.events.models import Event, EventSession
from service.indexjobs.models import IndexKind
from service.indexjobs.outbox import enqueue


def touched_objects(session: Session) -> list[Any]:
    """New, deleted, and really modified objects of the flush (dirty may hold unchanged ones)."""
    return [
        obj
        for obj in (*session.new, *session.dirty, *session.deleted)
        if obj not in session.dirty or session.is_modified(obj)
    ]


def _changed_cases(objects: list[Any]) -> set[int]:
    ids: set[int] = set()
    for obj in objects:
        if isinstance(obj, CaseStudy) and obj.id is not None:
            ids.add(obj.id)
        elif isinstance(obj, ContestEntry) and obj.case_study_id is not None:
            # Its distinctions are a search filter (service/contests/distinctions.py).
            ids.add(obj.case_study_id)
        elif isinstance(obj, Contest):  # its slug is a filter value of every case entered
            # Only the entries already loaded (selectin): no lazy load inside a flush.
            entries = obj.__dict__.get("entries", [])
            ids.update(e.case_study_id for e in entries if e.case_study_id is not None)
    return ids


def _owner_or_part(owner: type[Any], part: type[Any], owner_id: str) -> Callable[[list[Any]], set[int]]:
    """The ids of the `owner`s written, or whose `part`s (rows that point to them by `owner_id`) were:
    a thread and its posts, an event and its sessions, a collection and its items."""

    def changed(objects: list[Any]) -> set[int]:
        ids: set[int] = set()
        for obj in objects:
            if isinstance(obj, owner) and obj.id is not None:
                ids.add(obj.id)
            elif isinstance(obj, part) and getattr(obj, owner_id) is not None:
                ids.add(getattr(obj, owner_id))
        return ids

    return changed


WATCHERS: dict[IndexKind, Callable[[list[Any]], set[int]]] = {
    IndexKind.case: _changed_cases,
    IndexKind.thread: _owner_or_part(Thread, Post, "thread_id"),
    IndexKind.event: _owner_or_part(Event, EventSession, "event_id"),
    IndexKind.collection: _owner_or_part(Selection, CollectionItem, "collection_id"),
}


# What this transaction already queued: one job per entity is enough, since the worker reads the
# entity's state after the commit (a write that flushes twice, e.g. a case then its detected links,
# must not queue twice).
_QUEUED = "queued_index_jobs"


def record_index_changes(session: Session, _context: Any) -> None:
    objects = touched_objects(session)
    queued: set[tuple[IndexKind, int]] = session.info.setdefault(_QUEUED, set())
    for kind, changed in WATCHERS.items():
        ids = {entity_id for entity_id in changed(objects) if (kind, entity_id) not in queued}
        enqueue(session, kind, ids)
        queued.update((kind, entity_id) for entity_id in ids)


def _forget_queued(session: Session, *_: Any) -> None:
    """After a commit, or any rollback (a savepoint's too: its jobs are gone), queue afresh."""
    session.info.pop(_QUEUED, None)


# Factories already equipped. Not `event.contains`: SQLAlchemy keys its registry by id() of the target,
# and a new factory may get the id of a garbage-collected one whose entry lingers, so `contains` said
# yes for a factory that had no hook (seen in the full suite: writes queued nothing).
_EQUIPPED: weakref.WeakSet[sessionmaker[Session]] = weakref.WeakSet()


def install_index_hooks(factory: sessionmaker[Session]) -> None:
    """Queue index jobs for every session this factory makes (idempotent)."""
    if factory in _EQUIPPED:
        return
    event.listen(factory, "after_flush", record_index_changes)
    event.listen(factory, "after_commit", _forget_queued)
    event.listen(factory, "after_soft_rollback", _forget_queued)
    _EQUIPPED.add(factory)
