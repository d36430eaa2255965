"""One row per (caller, Idempotency-Key): the first request's fingerprint, then its stored answer.

While the first request runs, the row is a claim with a lease (`locked_until`, `attempt`); its answer
(`status_code`, kept headers, body) is written in the same transaction as the request's own changes, so
a key is answered "done" exactly when its effect is committed. A crash leaves a claim whose lease runs
out: the next repeat takes it over. Rows live 24 h (`expires_at`), then go."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, utcnow


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("caller", "key", name="uq_idempotency_keys_caller_key"),
        Index("ix_idempotency_keys_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who sent it ("user:12", "key:3", "operator", "anonymous:<address>"): keys of two callers never meet.
    caller: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path, query and body
    attempt: Mapped[str] = mapped_column(String(32))  # the attempt holding (or that held) the key
    locked_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(Integer)  # None while the first request runs
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
