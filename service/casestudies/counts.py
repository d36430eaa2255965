"""How many published case studies there are: in all, by theme, by région (the home page dashboard)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from service.casestudies.listing import PUBLISHED
from service.casestudies.models import CaseStudy, case_territories, case_themes
from service.territories.codes import region_key
from service.territories.models import Territory
from service.themes.models import Theme


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int


def published_count(session: Session) -> int:
    return session.scalar(select(func.count(CaseStudy.id)).where(PUBLISHED)) or 0


def cases_by_theme(session: Session) -> list[Count]:
    """Published cases per theme (slug, label), the largest first."""
    stmt = (
        select(Theme.slug, Theme.label, func.count(distinct(CaseStudy.id)))
        .join(case_themes, case_themes.c.theme_id == Theme.id)
        .join(CaseStudy, CaseStudy.id == case_themes.c.case_study_id)
        .where(PUBLISHED)
        .group_by(Theme.slug, Theme.label)
        .order_by(func.count(distinct(CaseStudy.id)).desc(), Theme.label)
    )
    return [Count(slug, label, n) for slug, label, n in session.execute(stmt)]


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
