"""Finding organisations: by a fragment of their name, and the names of a set of them."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from service.organisations.models import Organisation


def named_like(session: Session, *, fragment: str, limit: int) -> list[Organisation]:
    """Organisations whose name contains `fragment` (case-insensitive; "%" left out and "_" read
    as a space, so neither is a wildcard), by name."""
    pattern = f"%{fragment.replace('%', '').replace('_', ' ')}%"
    stmt = (
        select(Organisation).where(Organisation.name.ilike(pattern)).order_by(Organisation.name).limit(limit)
    )
    return list(session.scalars(stmt))


def organisation_names(session: Session, *, ids: Collection[int] | None) -> list[tuple[int, str]]:
    """(id, name) of the organisations with these ids (None: every one), by name."""
    where = true() if ids is None else Organisation.id.in_(list(ids))
    stmt = select(Organisation.id, Organisation.name).where(where).order_by(Organisation.name)
    return [(i, name) for i, name in session.execute(stmt)]
