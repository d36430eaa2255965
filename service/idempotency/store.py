"""Claim, complete, release and purge idempotency keys, in the caller's session (the request's own: a
request never checks out a second connection). Behaviour after the IETF draft "The Idempotency-Key HTTP
Header Field": the first request with a key runs; a repeat with the same fingerprint gets the stored
answer; a repeat with another fingerprint is refused; a repeat while the first still runs is told to
come back later; keys are forgotten after their time to live."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.api.datetimes import as_utc
from service.idempotency.models import IdempotencyKey


@dataclass(frozen=True)
class Claim:
    """The right to run the request of a key: `attempt` tells this run from a later takeover."""

    id: int
    attempt: str


@dataclass(frozen=True)
class Stored:
    """The answer of the first request, as it is replayed."""

    status_code: int
    headers: dict[str, str]
    body: bytes


class KeyInUse(Exception):
    """The first request with this key is still running (or has just claimed it)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("idempotency key in use")
        self.retry_after = retry_after


class KeyReused(Exception):
    """The key was first sent with another request (method, path or body)."""


def claim(
    db: Session,
    *,
    caller: str,
    key: str,
    fingerprint: str,
    now: datetime,
    lease: timedelta,
    ttl: timedelta,
) -> Claim | Stored:
    """A claim to run the request (flushed, not committed: the caller commits it before the work), or
    the stored answer to replay; raises `KeyReused` or `KeyInUse`."""
    row = db.scalar(select(IdempotencyKey).where(IdempotencyKey.caller == caller, IdempotencyKey.key == key))
    if row is not None and as_utc(row.expires_at) <= now:
        db.delete(row)  # forgotten: the key starts anew
        db.flush()
        row = None
    if row is not None:
        if not secrets.compare_digest(row.fingerprint, fingerprint):
            raise KeyReused()
        if row.status_code is not None:
            return Stored(row.status_code, dict(row.response_headers or {}), row.response_body or b"")
        if as_utc(row.locked_until) > now:
            raise KeyInUse(retry_after=1)
        # The run that held it died without an answer (its changes were rolled back): take it over, once.
        attempt = secrets.token_hex(16)
        taken = db.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.id == row.id,
                IdempotencyKey.attempt == row.attempt,
                IdempotencyKey.status_code.is_(None),
            )
            .values(attempt=attempt, locked_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise KeyInUse(retry_after=1)
        return Claim(row.id, attempt)
    purge(db, now)
    fresh = IdempotencyKey(
        caller=caller,
        key=key,
        fingerprint=fingerprint,
        attempt=secrets.token_hex(16),
        locked_until=now + lease,
        created_at=now,
        expires_at=now + ttl,
    )
    try:
        with db.begin_nested():
            db.add(fresh)
    except IntegrityError:  # a concurrent request with the same key claimed it first
        raise KeyInUse(retry_after=1) from None
    return Claim(fresh.id, fresh.attempt)


def complete(db: Session, held: Claim, answer: Stored) -> bool:
    """Store the answer in the caller's transaction (the one of the request's changes); False when a
    later attempt took the key over: the caller must then roll its changes back."""
    done = db.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == held.id, IdempotencyKey.attempt == held.attempt)
        .values(status_code=answer.status_code, response_headers=answer.headers, response_body=answer.body)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def release(db: Session, held: Claim) -> None:
    """Give the key back (the request failed and changed nothing): a repeat runs afresh."""
    db.execute(
        delete(IdempotencyKey)
        .where(
            IdempotencyKey.id == held.id,
            IdempotencyKey.attempt == held.attempt,
            IdempotencyKey.status_code.is_(None),
        )
        .execution_options(synchronize_session=False)
    )


def purge(db: Session, now: datetime) -> int:
    """Forget the keys past their time to live (called as new keys come: no scheduler needed)."""
    gone = db.execute(
        delete(IdempotencyKey)
        .where(IdempotencyKey.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
