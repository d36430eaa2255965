"""Webhook endpoints (owned by the API key that registered them) and their deliveries: an outbox of its
own, with the index outbox's discipline (rows written in the writer's transaction, claimed by a worker,
retried with the same backoff formula, dead after too many tries) and a log the partner can read."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, Timestamped, utcnow


class WebhookEvent(enum.StrEnum):
    case_published = "case.published"  # a case study enters the public lists
    case_updated = "case.updated"  # a published case study changes
    case_withdrawn = "case.withdrawn"  # a published case study leaves them (withdrawn, archived, deleted)
    thread_created = "thread.created"  # a public discussion is opened
    event_published = "event.published"  # an event of the network is announced


class DeliveryState(enum.StrEnum):
    pending = "pending"  # to send (again) from `available_at`
    delivered = "delivered"  # the endpoint answered 2xx
    dead = "dead"  # failed `webhook_max_attempts` times: kept in the log, can be redelivered


class WebhookEndpoint(Timestamped, Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The key is the owner: a partner's key, or a member's personal key. Deleting it deletes its endpoints.
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A shared secret: the server signs with it, so it is kept as is (shown once, at creation).
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_state_available_at", "state", "available_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    # Sent as Retex-Webhook-Id on every try: the receiver's idempotency key.
    delivery_id: Mapped[str] = mapped_column(String(40), unique=True)
    event_type: Mapped[WebhookEvent] = mapped_column(Enum(WebhookEvent, native_enum=False, length=30))
    # The envelope {id, type, created_at, data}; links are paths, made absolute when sent (public_url).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[DeliveryState] = mapped_column(
        Enum(DeliveryState, native_enum=False, length=10), default=DeliveryState.pending
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When it may be claimed: now, after a backoff, or after the lease of a worker that claimed it.
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
