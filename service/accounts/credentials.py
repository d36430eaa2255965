"""Ending every credential of an account at once: its login sessions and its personal API keys.

Used when the account's password changes hands or the account stops (password reset, deactivation,
takeover of an account whose address was never verified by the person who created it)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from service.accounts.models import ApiKey, User
from service.accounts.sessions import end_all_sessions
from service.db.base import utcnow


def revoke_personal_keys(db: Session, user_id: int) -> None:
    db.execute(
        update(ApiKey)
        .where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )


def end_all_credentials(db: Session, user: User) -> None:
    """Every browser logged out, every personal key revoked."""
    end_all_sessions(db, user.id)
    revoke_personal_keys(db, user.id)
    db.flush()
