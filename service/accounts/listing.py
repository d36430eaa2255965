"""Lists of the account pages: accounts (searched, paged), partner and personal API keys, a person's
memberships and the requests to join that organisation admins have to answer."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.accounts.models import ApiKey, Membership, MembershipStatus, User


def users_page(db: Session, *, q: str | None, page: int, per_page: int) -> tuple[list[User], int]:
    """A page of the accounts by id, those whose email or display name contains `q` (case-insensitive;
    "%" left out and "_" read as a space) when given, and how many match in all."""
    stmt = select(User)
    if q:
        pattern = f"%{q.lower().replace('%', '').replace('_', ' ')}%"
        stmt = stmt.where(func.lower(User.email).like(pattern) | func.lower(User.display_name).like(pattern))
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    users = db.scalars(stmt.order_by(User.id).offset((page - 1) * per_page).limit(per_page))
    return list(users), total


def users_by_id(db: Session, *, ids: Collection[int]) -> dict[int, User]:
    return {u.id: u for u in db.scalars(select(User).where(User.id.in_(list(ids))))}


def partner_keys(db: Session) -> list[ApiKey]:
    """The partners' keys (held by no account), newest first."""
    return list(db.scalars(select(ApiKey).where(ApiKey.user_id.is_(None)).order_by(ApiKey.id.desc())))


def personal_keys(db: Session, *, user_id: int) -> list[ApiKey]:
    """An account's own keys, newest first."""
    return list(db.scalars(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id.desc())))


def memberships_of(db: Session, *, user_id: int) -> list[Membership]:
    """A person's memberships and requests to join, oldest first."""
    return list(db.scalars(select(Membership).where(Membership.user_id == user_id).order_by(Membership.id)))


def requests_to_decide(db: Session, *, organisation_ids: Collection[int]) -> list[Membership]:
    """Pending requests to join these organisations (those the reader administers), oldest first."""
    if not organisation_ids:
        return []
    return list(
        db.scalars(
            select(Membership)
            .where(
                Membership.organisation_id.in_(list(organisation_ids)),
                Membership.status == MembershipStatus.pending,
            )
            .order_by(Membership.id)
        )
    )
