"""Lists of published case studies, newest first: the latest, a page of the public list, those about a
territory (or a place inside it), those citing a software; and cases by id. A fixed number of SQL
statements whatever the number of rows (relations are loaded by `selectin`/joined loading)."""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from service.casestudies.loading import AS_CARDS
from service.casestudies.models import CaseStudy, PublicationState, case_software
from service.casestudies.service import list_statement
from service.software.models import Software
from service.territories.models import Territory, TerritoryKind
from service.textkeys import fold

PUBLISHED = CaseStudy.publication_state == PublicationState.published


def _newest_first(stmt: Select[CaseStudy]) -> Select[CaseStudy]:
    return stmt.order_by(CaseStudy.published_at.desc().nulls_last(), CaseStudy.id.desc())


def _page(
    session: Session, stmt: Select[CaseStudy], *, page: int, per_page: int
) -> tuple[list[CaseStudy], int]:
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        _newest_first(stmt).options(*AS_CARDS).limit(per_page).offset((page - 1) * per_page)
    )
    return list(rows), total


def latest_cases(session: Session, *, limit: int) -> list[CaseStudy]:
    return list(session.scalars(_newest_first(select(CaseStudy).where(PUBLISHED)).limit(limit)))


def published_page(
    session: Session, *, theme: str | None, status: str | None, page: int, per_page: int
) -> tuple[list[CaseStudy], int]:
    """A page of the published cases (as cards), optionally of one theme (slug) and project status,
    and how many there are in all."""
    stmt = list_statement(
        theme=theme, territory=None, status=status, publication_state=PublicationState.published
    )
    return _page(session, stmt, page=page, per_page=per_page)


def about_territory(territory: Territory) -> ColumnElement[bool]:
    """Cases about this territory, or about a place inside it (a département's communes...)."""
    inside: list[ColumnElement[bool]] = [Territory.id == territory.id]
    if territory.kind is TerritoryKind.departement and territory.departement_code:
        inside.append(Territory.departement_code == territory.departement_code)
    elif territory.kind is TerritoryKind.region and territory.region_code:
        inside.append(Territory.region_code == territory.region_code)
    elif territory.kind in (TerritoryKind.epci, TerritoryKind.ept):
        inside.append(Territory.parent_epci_id == territory.id)
    elif territory.parent_epci_id is not None:
        inside.append(Territory.id == territory.parent_epci_id)  # a commune: its intercommunality's
    return CaseStudy.territories.any(or_(*inside))


def territory_cases(session: Session, *, territory: Territory, limit: int) -> tuple[list[CaseStudy], int]:
    """The newest published cases about the territory (see `about_territory`), and how many in all."""
    stmt = select(CaseStudy).where(PUBLISHED, about_territory(territory))
    return _page(session, stmt, page=1, per_page=limit)


def software_cases(session: Session, *, software: Software, limit: int) -> list[CaseStudy]:
    """The newest published cases citing the software."""
    stmt = select(CaseStudy).where(
        PUBLISHED,
        CaseStudy.id.in_(
            select(case_software.c.case_study_id).where(case_software.c.software_id == software.id)
        ),
    )
    return list(session.scalars(_newest_first(stmt).limit(limit)))


def cases_by_id(session: Session, *, ids: Collection[int]) -> dict[int, CaseStudy]:
    """The cases with these ids, whatever their state (the caller decides who may see them)."""
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(CaseStudy).where(CaseStudy.id.in_(list(ids))))}


def published_by_title(session: Session, *, q: str, limit: int) -> list[CaseStudy]:
    """Published cases whose title has every word of `q` (as typed, or without accents in the slug),
    by title: the picker of the experiences presented at an event."""
    words = [w for w in re.split(r"[\W_]+", q.casefold()) if len(w) > 1][:8]
    if not words:
        return []
    title = func.lower(CaseStudy.title)
    stmt = select(CaseStudy).where(PUBLISHED)
    for word in words:
        stmt = stmt.where(
            or_(title.contains(word, autoescape=True), CaseStudy.slug.contains(fold(word), autoescape=True))
        )
    return list(session.scalars(stmt.options(*AS_CARDS).order_by(CaseStudy.title).limit(limit)))
