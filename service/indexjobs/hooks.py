"""Which flushed changes touch the index: one watcher per kind, run from one `after_flush` hook.

The hook is installed on a session factory explicitly (service/db/engine.py, `make_session_factory`),
never as a side effect of an import: every writer (API, web, seeds, CLI) makes its sessions there, so
every write is queued the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from service.casestudies.models import CaseStudy
from service.collections.models import Collection as Selection
from service.collections.models import CollectionItem, Visibility
from service.contests.models import Contest, ContestEntry
from service.db.flush_hooks import attach_once
from service.discussions.models import Post, Thread
from service.events.models import Event, EventSession, event_session_cases
from service.indexjobs.models import IndexKind
from service.indexjobs.outbox import enqueue

# The ids of one kind that the flushed objects change (the session to look up what shows a case).
Watcher = Callable[[Session, list[Any]], set[int]]


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


def _retitled_cases(objects: list[Any]) -> set[int]:
    """Cases renamed, published or withdrawn in this flush: the text of what shows them changes (the
    attribute history is still there in `after_flush`)."""
    ids: set[int] = set()
    for obj in objects:
        if isinstance(obj, CaseStudy) and obj.id is not None:
            attrs = inspect(obj).attrs
            if attrs.title.history.has_changes() or attrs.publication_state.history.has_changes():
                ids.add(obj.id)
    return ids


def _owner_or_part(
    owner: type[Any],
    part: type[Any],
    owner_id: str,
    *,
    showing_cases: Callable[[set[int]], Select[int]] | None = None,
) -> Watcher:
    """The ids of the `owner`s written, or whose `part`s (rows that point to them by `owner_id`) were:
    a thread and its posts, an event and its sessions, a collection and its items; and, when its indexed
    text holds case titles, the owners `showing_cases` names for the cases renamed or withdrawn."""

    def changed(session: Session, objects: list[Any]) -> set[int]:
        ids: set[int] = set()
        for obj in objects:
            if isinstance(obj, owner) and obj.id is not None:
                ids.add(obj.id)
            elif isinstance(obj, part) and getattr(obj, owner_id) is not None:
                ids.add(getattr(obj, owner_id))
        cases = _retitled_cases(objects) if showing_cases is not None else set()
        if showing_cases is not None and cases:
            ids.update(session.connection().execute(showing_cases(cases)).scalars())
        return ids

    return changed


def _collections_showing(case_ids: set[int]) -> Select[int]:
    """The public collections holding these cases (an unlisted one is not in the index)."""
    return (
        select(CollectionItem.collection_id)
        .join(Selection, Selection.id == CollectionItem.collection_id)
        .where(CollectionItem.case_study_id.in_(case_ids), Selection.visibility == Visibility.public)
    )


def _events_presenting(case_ids: set[int]) -> Select[int]:
    return (
        select(EventSession.event_id)
        .join(event_session_cases, event_session_cases.c.session_id == EventSession.id)
        .where(event_session_cases.c.case_study_id.in_(case_ids))
    )


def _only_objects(watch: Callable[[list[Any]], set[int]]) -> Watcher:
    return lambda _session, objects: watch(objects)


WATCHERS: dict[IndexKind, Watcher] = {
    IndexKind.case: _only_objects(_changed_cases),
    IndexKind.thread: _owner_or_part(Thread, Post, "thread_id"),
    # Their indexed text holds the titles of the cases they present, of the cases chosen.
    IndexKind.event: _owner_or_part(Event, EventSession, "event_id", showing_cases=_events_presenting),
    IndexKind.collection: _owner_or_part(
        Selection, CollectionItem, "collection_id", showing_cases=_collections_showing
    ),
}


# What this transaction already queued: one job per entity is enough, since the worker reads the
# entity's state after the commit (a write that flushes twice, e.g. a case then its detected links,
# must not queue twice).
_QUEUED = "queued_index_jobs"


def record_index_changes(session: Session, _context: Any) -> None:
    objects = touched_objects(session)
    queued: set[tuple[IndexKind, int]] = session.info.setdefault(_QUEUED, set())
    for kind, changed in WATCHERS.items():
        ids = {entity_id for entity_id in changed(session, objects) if (kind, entity_id) not in queued}
        enqueue(session, kind, ids)
        queued.update((kind, entity_id) for entity_id in ids)


def install_index_hooks(factory: sessionmaker[Session]) -> None:
    """Queue index jobs for every session this factory makes (idempotent)."""
    attach_once(factory, "index", {"after_flush": record_index_changes}, memory=_QUEUED)
