"""The software catalogue (SILL, Comptoir du Libre): by name prefix, a page of it, names by id, and the
usages organisations declare for one software."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from service.organisations.models import Organisation
from service.software.models import Software, SoftwareUsage
from service.textkeys import slugify


def by_name_prefix(q: str | None) -> Select[Software]:
    """The software whose name starts with `q` (accent/case-insensitive, on the indexed slug); all without."""
    stmt = select(Software)
    if q:
        key = slugify(q)
        stmt = stmt.where(Software.slug >= key, Software.slug < key + "\uffff")
    return stmt


def software_page(session: Session, *, q: str | None, page: int, per_page: int) -> tuple[list[Software], int]:
    """A page of the catalogue by name (see `by_name_prefix`), and how many match in all."""
    stmt = by_name_prefix(q)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Software.name).limit(per_page).offset((page - 1) * per_page))
    return list(rows), total


def software_names(session: Session, *, ids: Collection[int] | None = None) -> list[tuple[int, str]]:
    """(id, name) of the software with these ids (None: every one), by name."""
    stmt = select(Software.id, Software.name)
    if ids is not None:
        stmt = stmt.where(Software.id.in_(list(ids)))
    return [(i, name) for i, name in session.execute(stmt.order_by(Software.name))]


def declared_usages(session: Session, *, software: Software) -> list[SoftwareUsage]:
    """The usages organisations declare (SILL services), by organisation name then service."""
    stmt = (
        select(SoftwareUsage)
        .join(Organisation, Organisation.id == SoftwareUsage.organisation_id)
        .where(SoftwareUsage.software_id == software.id)
        .order_by(Organisation.name, SoftwareUsage.service_name)
    )
    return list(session.scalars(stmt))
