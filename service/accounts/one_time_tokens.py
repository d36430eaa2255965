"""Links sent by email (verify an address, reset a password): random, stored hashed, short-lived,
usable once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.accounts.models import OneTimeToken, TokenPurpose, User
from service.accounts.secrets import new_secret, secret_hash
from service.api.datetimes import as_utc
from service.api.errors import DomainError
from service.db.base import utcnow

LIFETIME = {TokenPurpose.verify_email: timedelta(days=3), TokenPurpose.reset_password: timedelta(hours=1)}


class InvalidLink(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "Ce lien n'est pas valable : il a expiré ou a déjà servi. Demandez-en un nouveau.",
            status_code=400,
        )


def issue_token(db: Session, user: User, purpose: TokenPurpose) -> str:
    # A new link replaces the older ones of the same purpose.
    db.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.user_id == user.id, OneTimeToken.purpose == purpose, OneTimeToken.used_at.is_(None)
        )
        .values(used_at=utcnow())
    )
    token = new_secret()
    now = utcnow()
    db.add(
        OneTimeToken(
            token_hash=secret_hash(token),
            user_id=user.id,
            purpose=purpose,
            created_at=now,
            expires_at=now + LIFETIME[purpose],
        )
    )
    db.flush()
    return token


def consume_token(db: Session, token: str, purpose: TokenPurpose) -> User:
    row = db.scalar(
        select(OneTimeToken).where(
            OneTimeToken.token_hash == secret_hash(token[:200]), OneTimeToken.purpose == purpose
        )
    )
    if row is None or row.used_at is not None:
        raise InvalidLink
    if as_utc(row.expires_at) <= utcnow():  # SQLite gives naive datetimes back (stored in UTC)
        raise InvalidLink
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        raise InvalidLink
    row.used_at = utcnow()
    db.flush()
    return user
