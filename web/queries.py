"""Read-only queries the pages need and the domain services do not offer (yet): lists for the home
page, the dashboard counts, a territory's cases, a software's users. Each is a fixed number of SQL
statements whatever the number of rows (relations are loaded by `selectin`/joined loading)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, distinct, func, or_, select, true
from sqlalchemy.orm import Session

from service.casestudies.loading import AS_CARDS
from service.casestudies.models import (
    CaseStudy,
    PublicationState,
    case_software,
    case_territories,
    case_themes,
)
from service.organisations.models import Organisation
from service.software.models import Software, SoftwareUsage
from service.territories.codes import departement_key, region_key
from service.territories.models import Territory, TerritoryKind
from service.textkeys import slugify
from service.themes.models import Theme

PUBLISHED = CaseStudy.publication_state == PublicationState.published


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int


def _newest_first(stmt: Select[CaseStudy]) -> Select[CaseStudy]:
    return stmt.order_by(CaseStudy.published_at.desc().nulls_last(), CaseStudy.id.desc())


def latest_cases(session: Session, *, limit: int) -> list[CaseStudy]:
    return list(session.scalars(_newest_first(select(CaseStudy).where(PUBLISHED)).limit(limit)))


def page_of(
    session: Session, stmt: Select[CaseStudy], *, page: int, per_page: int
) -> tuple[list[CaseStudy], int]:
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        _newest_first(stmt).options(*AS_CARDS).limit(per_page).offset((page - 1) * per_page)
    )
    return list(rows), total


def published_count(session: Session) -> int:
    return session.scalar(select(func.count(CaseStudy.id)).where(PUBLISHED)) or 0


def cases_by_theme(session: Session) -> list[Count]:
    stmt = (
        select(Theme.slug, Theme.label, func.count(distinct(CaseStudy.id)))
        .join(case_themes, case_themes.c.theme_id == Theme.id)
        .join(CaseStudy, CaseStudy.id == case_themes.c.case_study_id)
        .where(PUBLISHED)
        .group_by(Theme.slug, Theme.label)
        .order_by(func.count(distinct(CaseStudy.id)).desc(), Theme.label)
    )
    return [Count(slug, label, n) for slug, label, n in session.execute(stmt)]


def themes(session: Session) -> list[Theme]:
    return list(session.scalars(select(Theme).order_by(Theme.label)))


def cases_by_region(session: Session) -> tuple[list[Count], int]:
    """Published cases per région of their territories, and how many cases name no territory."""
    stmt = (
        select(Territory.region_code, func.count(distinct(CaseStudy.id)))
        .join(case_territories, case_territories.c.territory_id == Territory.id)
        .join(CaseStudy, CaseStudy.id == case_territories.c.case_study_id)
        .where(PUBLISHED, Territory.region_code.is_not(None))
        .group_by(Territory.region_code)
    )
    counts = {code: n for code, n in session.execute(stmt) if code}
    names = dict(
        session.execute(
            select(Territory.code, Territory.name).where(Territory.code.in_([region_key(c) for c in counts]))
        ).all()
    )
    rows = [Count(code, names.get(region_key(code), code), n) for code, n in counts.items()]
    rows.sort(key=lambda c: (-c.count, c.label))
    located = select(case_territories.c.case_study_id)
    without = (
        session.scalar(select(func.count(CaseStudy.id)).where(PUBLISHED, CaseStudy.id.not_in(located))) or 0
    )
    return rows, without


def territory_cases_filter(territory: Territory) -> ColumnElement[bool]:
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


def territory_cases(session: Session, territory: Territory, *, limit: int) -> tuple[list[CaseStudy], int]:
    stmt = select(CaseStudy).where(PUBLISHED, territory_cases_filter(territory))
    return page_of(session, stmt, page=1, per_page=limit)


def territory_parents(session: Session, territory: Territory) -> dict[str, Territory]:
    """The département and région a territory belongs to (one query)."""
    keys = {}
    if territory.departement_code and territory.kind is not TerritoryKind.departement:
        keys["departement"] = departement_key(territory.departement_code)
    if territory.region_code and territory.kind is not TerritoryKind.region:
        keys["region"] = region_key(territory.region_code)
    if not keys:
        return {}
    found = {t.code: t for t in session.scalars(select(Territory).where(Territory.code.in_(keys.values())))}
    return {role: found[code] for role, code in keys.items() if code in found}


def territories_by_code(session: Session, codes: Sequence[str]) -> dict[str, Territory]:
    if not codes:
        return {}
    return {t.code: t for t in session.scalars(select(Territory).where(Territory.code.in_(list(codes))))}


def software_usages(session: Session, software: Software) -> list[SoftwareUsage]:
    stmt = (
        select(SoftwareUsage)
        .join(Organisation, Organisation.id == SoftwareUsage.organisation_id)
        .where(SoftwareUsage.software_id == software.id)
        .order_by(Organisation.name, SoftwareUsage.service_name)
    )
    return list(session.scalars(stmt))


def software_cases(session: Session, software: Software, *, limit: int) -> list[CaseStudy]:
    stmt = select(CaseStudy).where(
        PUBLISHED,
        CaseStudy.id.in_(
            select(case_software.c.case_study_id).where(case_software.c.software_id == software.id)
        ),
    )
    return list(session.scalars(_newest_first(stmt).limit(limit)))


def software_page(session: Session, *, q: str | None, page: int, per_page: int) -> tuple[list[Software], int]:
    stmt = select(Software)
    if q:
        key = slugify(q)
        stmt = stmt.where(Software.slug >= key, Software.slug < key + "\uffff")
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Software.name).limit(per_page).offset((page - 1) * per_page))
    return list(rows), total


def choices(session: Session, organisation_ids: frozenset[int] | None) -> dict[str, list[tuple[str, str]]]:
    """Options of the publish form's lists: themes, software, organisations (three queries).
    `organisation_ids`: those the writer may publish for (None: any)."""
    org_filter = true() if organisation_ids is None else Organisation.id.in_(organisation_ids)
    return {
        "themes": [(t.slug, t.label) for t in themes(session)],
        "software": [
            (str(i), name)
            for i, name in session.execute(select(Software.id, Software.name).order_by(Software.name))
        ],
        "organisations": [
            (str(i), name)
            for i, name in session.execute(
                select(Organisation.id, Organisation.name).where(org_filter).order_by(Organisation.name)
            )
        ],
    }
