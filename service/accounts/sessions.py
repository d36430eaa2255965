"""Server-side login sessions: the browser's signed cookie carries a random token; the database
keeps its hash, so a session can be ended from anywhere (logout, password reset, account deletion)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.accounts.models import User, UserSession
from service.accounts.secrets import new_secret, secret_hash
from service.api.datetimes import as_utc
from service.db.base import utcnow

_TOUCH_EVERY = timedelta(minutes=10)  # refresh last_seen (and the idle expiry) at most this often


def start_session(db: Session, user: User, *, days: int) -> str:
    token = new_secret()
    now = utcnow()
    db.add(
        UserSession(
            token_hash=secret_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    user.last_login_at = now
    db.flush()
    return token


def user_for_session(db: Session, token: str, *, days: int, max_days: int = 30) -> User | None:
    """The user of a live session, sliding its idle expiry forward; None when ended, idle for `days`,
    or older than `max_days` (an absolute lifetime: a stolen cookie does not live forever)."""
    row = db.scalar(select(UserSession).where(UserSession.token_hash == secret_hash(token)))
    if row is None:
        return None
    now = utcnow()
    if as_utc(row.expires_at) <= now or now - as_utc(row.created_at) > timedelta(days=max_days):
        db.delete(row)
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        db.delete(row)  # a deactivated account's sessions do not wait for its reactivation
        return None
    if now - as_utc(row.last_seen_at) > _TOUCH_EVERY:
        row.last_seen_at = now
        row.expires_at = now + timedelta(days=days)
    return user


def end_session(db: Session, token: str) -> None:
    db.execute(delete(UserSession).where(UserSession.token_hash == secret_hash(token)))


def end_all_sessions(db: Session, user_id: int) -> None:
    db.execute(delete(UserSession).where(UserSession.user_id == user_id))
