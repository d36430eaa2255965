"""Keeping mirrors exact, in the writer's transaction, from the session factory's flush hooks (installed
beside the index outbox's, service/db/engine.py `make_session_factory`):

- before a flush, `updated_at` of a mirrored item moves whenever what a partner reads of it changes:
  its own columns (the column's `onupdate` does that), but also its collections (a case's themes,
  territories, software; no UPDATE of its row is emitted for those) and its child rows (a case's links,
  an event's sessions and attendees, a collection's items, a contest's entries, a thread's posts);
- after a flush, a row in `removals` for each item that leaves the public lists (service/sync/models.py).

Link rows a case's text detects are written with Core statements (service/casestudies/links.py), which
no flush sees: that module moves the case's `updated_at` itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import get_history

from service.casestudies.models import CaseLink, CaseStudy, PublicationState
from service.collections.models import Collection, CollectionItem, Visibility
from service.contests.models import Contest, ContestCategory, ContestEntry, ContestStage
from service.db.base import Timestamped, utcnow
from service.db.flush_hooks import attach_once
from service.discussions.models import Post, Thread
from service.events.models import Event, EventAttendance, EventSession
from service.indexjobs.hooks import touched_objects
from service.organisations.models import Organisation
from service.software.models import Software
from service.sync.models import MirroredKind, Removal, RemovalReason
from service.territories.models import Territory

# A child row's class → (its parent's class, the attribute holding the parent's id).
PARENTS: dict[type, tuple[type[Timestamped], str]] = {
    CaseLink: (CaseStudy, "case_study_id"),
    Post: (Thread, "thread_id"),
    EventSession: (Event, "event_id"),
    EventAttendance: (Event, "event_id"),
    CollectionItem: (Collection, "collection_id"),
    ContestEntry: (Contest, "contest_id"),
    ContestStage: (Contest, "contest_id"),
    ContestCategory: (Contest, "contest_id"),
}


def bump_updated_at(session: Session, _context: Any, _instances: Any) -> None:
    """A modified item, or the parent of a new, modified or deleted child row, gets a new `updated_at`."""
    now = utcnow()
    deleted = set(session.deleted)
    with session.no_autoflush:
        for obj in touched_objects(session):
            own = isinstance(obj, Timestamped) and obj in session.dirty and obj not in deleted
            if own and not get_history(obj, "updated_at").added:  # not when set on purpose (seeds)
                obj.updated_at = now
            parent_of = PARENTS.get(type(obj))
            if parent_of is None:
                continue
            model, column = parent_of
            parent_id = getattr(obj, column, None)
            if parent_id is None:
                continue
            parent = session.get(model, parent_id)
            if parent is not None and parent not in deleted and parent not in session.new:
                parent.updated_at = now


def was(obj: Any, attribute: str) -> Any:
    """The attribute's value before this flush (its current one if unchanged)."""
    history = get_history(obj, attribute)
    if history.deleted:
        return history.deleted[0]
    return getattr(obj, attribute)


def public_thread(thread: Thread, *, before: bool) -> bool:
    value = was if before else getattr
    return not value(thread, "is_hidden") and value(thread, "private_organisation_id") is None


def case_leaving(case: CaseStudy, *, deleted: bool) -> RemovalReason | None:
    """Why this flush takes a published case out of the public lists (None: it does not). Read by the
    removals feed here and by the partners' webhooks (service/webhooks/hooks.py, `case.withdrawn`)."""
    if was(case, "publication_state") is not PublicationState.published:
        return None
    if deleted:
        return RemovalReason.deleted
    now = case.publication_state
    if now is PublicationState.published:
        return None
    return RemovalReason.archived if now is PublicationState.archived else RemovalReason.withdrawn


def _left_lists(obj: object) -> tuple[MirroredKind, int, str | None, RemovalReason] | None:
    """A modified item that this flush takes out of the public lists, and why."""
    if isinstance(obj, CaseStudy):
        reason = case_leaving(obj, deleted=False)
        if reason is not None:
            return MirroredKind.case_study, obj.id, obj.slug, reason
    elif isinstance(obj, Thread):
        if public_thread(obj, before=True) and not public_thread(obj, before=False):
            return MirroredKind.thread, obj.id, None, RemovalReason.hidden
    elif isinstance(obj, Collection):
        public_before = was(obj, "visibility") is Visibility.public
        if public_before and obj.visibility is not Visibility.public:
            return MirroredKind.collection, obj.id, obj.slug, RemovalReason.unlisted
    return None


def _removals(session: Session) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(kind: MirroredKind, entity_id: int, slug: str | None, reason: RemovalReason) -> None:
        rows.append({"kind": kind, "entity_id": entity_id, "slug": slug, "reason": reason})

    for obj in session.deleted:
        if isinstance(obj, CaseStudy):
            if case_leaving(obj, deleted=True) is not None:
                add(MirroredKind.case_study, obj.id, obj.slug, RemovalReason.deleted)
        elif isinstance(obj, Thread):
            if public_thread(obj, before=True):
                add(MirroredKind.thread, obj.id, None, RemovalReason.deleted)
        elif isinstance(obj, Collection):
            if was(obj, "visibility") is Visibility.public:
                add(MirroredKind.collection, obj.id, obj.slug, RemovalReason.deleted)
        elif isinstance(obj, Organisation | Software | Contest):
            kind = {Organisation: MirroredKind.organisation, Software: MirroredKind.software}.get(
                type(obj), MirroredKind.contest
            )
            add(kind, obj.id, obj.slug, RemovalReason.deleted)
        elif isinstance(obj, Territory):
            add(MirroredKind.territory, obj.id, obj.code, RemovalReason.deleted)
        elif isinstance(obj, Event):
            add(MirroredKind.event, obj.id, None, RemovalReason.deleted)
    for obj in session.dirty:
        left = _left_lists(obj)
        if left is not None:
            add(*left)
    return rows


def record_removals(session: Session, _context: Any) -> None:
    """Tombstones for what left the public lists in this flush, through the flush's own connection."""
    rows = _removals(session)
    if rows:
        now = utcnow()
        session.connection().execute(insert(Removal), [{**row, "removed_at": now} for row in rows])


def install_sync_hooks(factory: sessionmaker[Session]) -> None:
    """Move `updated_at` and write removals for every session this factory makes (idempotent)."""
    attach_once(factory, "sync", {"before_flush": bump_updated_at, "after_flush": record_removals})
