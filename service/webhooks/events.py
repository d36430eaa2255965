"""Which flushed changes are webhook events, and the small envelope each one carries: partners re-fetch
the resource by its `api_url`. Read from the flush like the index and removals hooks (the same
`touched_objects`, the same "was it published before this flush" as the removals feed)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, PublicationState
from service.db.base import utcnow
from service.discussions.models import Thread
from service.events.models import Event
from service.indexjobs.hooks import touched_objects
from service.sync.hooks import case_leaving, public_thread, was
from service.webhooks.models import WebhookEvent


@dataclass(frozen=True, slots=True)
class Change:
    event: WebhookEvent
    kind: str  # "case", "thread", "event": with the id, what a transaction reports once per event
    entity_id: int
    data: dict[str, Any]


def _stamp(obj: Any) -> str:
    # Read from the instance's state only: no lazy load inside a flush.
    value = obj.__dict__.get("updated_at")
    return (value if isinstance(value, datetime) else utcnow()).isoformat()


def _change(event: WebhookEvent, kind: str, obj: Any, url: str, api_url: str, **extra: Any) -> Change:
    data = {"id": obj.id, "title": obj.title, "url": url, "api_url": api_url, "updated_at": _stamp(obj)}
    return Change(event, kind, obj.id, {**data, **extra})


def _case(case: CaseStudy, event: WebhookEvent, **extra: Any) -> Change:
    url, api_url = f"/experiences/{case.slug}", f"/api/v1/case-studies/{case.id}"
    return _change(event, "case", case, url, api_url, **extra)


def _case_change(case: CaseStudy, session: Session) -> Change | None:
    if case in session.deleted:
        reason = case_leaving(case, deleted=True)
        return None if reason is None else _case(case, WebhookEvent.case_withdrawn, reason=reason.value)
    published = case.publication_state is PublicationState.published
    if case in session.new:
        return _case(case, WebhookEvent.case_published) if published else None
    reason = case_leaving(case, deleted=False)
    if reason is not None:
        return _case(case, WebhookEvent.case_withdrawn, reason=reason.value)
    if not published:
        return None
    if was(case, "publication_state") is not PublicationState.published:
        return _case(case, WebhookEvent.case_published)
    return _case(case, WebhookEvent.case_updated)


def flushed_changes(session: Session) -> list[Change]:
    """The webhook events of this flush, in a stable order."""
    changes: list[Change] = []
    for obj in touched_objects(session):
        if isinstance(obj, CaseStudy) and obj.id is not None:
            change = _case_change(obj, session)
            if change is not None:
                changes.append(change)
        elif isinstance(obj, Thread) and obj in session.new and public_thread(obj, before=False):
            url, api_url = f"/discussions/{obj.id}", f"/api/v1/threads/{obj.id}"
            changes.append(_change(WebhookEvent.thread_created, "thread", obj, url, api_url))
        elif isinstance(obj, Event) and obj in session.new:
            url, api_url = f"/evenements/{obj.id}", f"/api/v1/events/{obj.id}"
            changes.append(_change(WebhookEvent.event_published, "event", obj, url, api_url))
    return sorted(changes, key=lambda c: (c.kind, c.entity_id, c.event.value))


def envelope(change: Change) -> dict[str, Any]:
    """What a delivery's body says (links still relative: see delivery.py)."""
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": change.event.value,
        "created_at": utcnow().isoformat(),
        "data": change.data,
    }
