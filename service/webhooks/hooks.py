"""Deliveries written in the writer's transaction, from the session factory's `after_flush` (installed
beside the index and sync hooks, service/db/engine.py): a change that is rolled back sends nothing, a
committed one is delivered eventually, across crashes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session, sessionmaker

from service.accounts.models import ApiKey
from service.db.base import utcnow
from service.db.flush_hooks import attach_once
from service.webhooks.events import Change, envelope, flushed_changes
from service.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint, WebhookEvent

# What this transaction already reported, per (kind, id): a case published then edited in the same
# transaction is one `case.published`; a case edited twice is one `case.updated`.
_REPORTED = "reported_webhook_events"


def _keep(change: Change, reported: dict[tuple[str, int], set[WebhookEvent]]) -> bool:
    seen = reported.setdefault((change.kind, change.entity_id), set())
    if change.event in seen or (change.event is WebhookEvent.case_updated and seen):
        return False
    seen.add(change.event)
    return True


def _subscribers(session: Session) -> list[tuple[int, set[str]]]:
    """Active endpoints of keys still valid, with the event types they listen to."""
    now = utcnow()
    rows = session.connection().execute(
        select(WebhookEndpoint.id, WebhookEndpoint.event_types)
        .join(ApiKey, ApiKey.id == WebhookEndpoint.api_key_id)
        .where(
            WebhookEndpoint.active.is_(True),
            ApiKey.revoked_at.is_(None),
            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
        )
    )
    return [(endpoint_id, set(types or [])) for endpoint_id, types in rows]


def record_webhook_deliveries(session: Session, _context: Any) -> None:
    reported = session.info.setdefault(_REPORTED, {})
    changes = [c for c in flushed_changes(session) if _keep(c, reported)]
    if not changes:
        return
    endpoints = _subscribers(session)
    now = utcnow()
    rows = []
    for change in changes:
        body = envelope(change)
        for endpoint_id, types in endpoints:
            if change.event.value in types:
                rows.append(
                    {
                        "endpoint_id": endpoint_id,
                        "delivery_id": f"whd_{uuid.uuid4().hex}",
                        "event_type": change.event,
                        "payload": body,
                        "state": DeliveryState.pending,
                        "attempts": 0,
                        "available_at": now,
                        "created_at": now,
                    }
                )
    if rows:
        session.connection().execute(insert(WebhookDelivery), rows)


def install_webhook_hooks(factory: sessionmaker[Session]) -> None:
    """Queue webhook deliveries for every session this factory makes (idempotent)."""
    attach_once(factory, "webhooks", {"after_flush": record_webhook_deliveries}, memory=_REPORTED)
