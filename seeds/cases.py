"""Idempotent upsert of a seeded case study, keyed by its external key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from seeds.report import StepReport
from service.casestudies.links import LinkKind, links_of
from service.casestudies.models import CaseLink, CaseStudy, LinkOrigin
from service.casestudies.service import unique_slug
from service.db.base import utcnow
from service.organisations.models import Organisation
from service.software.models import Software
from service.territories.models import Territory
from service.themes.models import Theme


@dataclass
class SeedCase:
    external_key: str
    values: dict[str, Any]  # scalar columns of CaseStudy (title, summary, sections, status, …)
    preferred_slug: str
    themes: Sequence[Theme] = ()
    territories: Sequence[Territory] = ()
    software: Sequence[Software] = ()
    organisation: Organisation | None = None
    links: Sequence[tuple[str, str]] = field(default_factory=tuple)


def _own(session: Session, case: CaseStudy, kind: LinkKind) -> set[int]:
    """The links the source declared (detected ones are the linker's: seeds/links.py)."""
    return {t for t, (origin, _) in links_of(session, case.id, kind).items() if origin != LinkOrigin.detected}


def _same(session: Session, case: CaseStudy, seed: SeedCase) -> bool:
    return (
        all(getattr(case, k) == v for k, v in seed.values.items())
        and _own(session, case, "theme") == {t.id for t in seed.themes}
        and _own(session, case, "territory") == {t.id for t in seed.territories}
        and _own(session, case, "software") == {s.id for s in seed.software}
        and case.organisation_id == (seed.organisation.id if seed.organisation else None)
        and [(link.label, link.url) for link in case.links] == list(seed.links)
    )


def upsert_case(session: Session, existing: dict[str, CaseStudy], seed: SeedCase, report: StepReport) -> None:
    case = existing.get(seed.external_key)
    if case is not None and _same(session, case, seed):
        report.unchanged += 1
        return
    if case is None:
        case = CaseStudy(external_key=seed.external_key, slug=unique_slug(session, seed.preferred_slug))
        case.published_at = utcnow()
        session.add(case)
        existing[seed.external_key] = case
        report.inserted += 1
    else:
        report.updated += 1
    for key, value in seed.values.items():
        setattr(case, key, value)
    case.themes = list(seed.themes)
    case.territories = list(seed.territories)
    case.software = list(seed.software)
    case.organisation = seed.organisation
    case.links = [CaseLink(position=i, label=label, url=url) for i, (label, url) in enumerate(seed.links)]
    session.flush()
