"""Read funded projects: filters (territory, département, région, year, category, accent-free words),
what a territory funded, and the prefilled draft a member can turn one into."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from service.api.errors import NotFoundError
from service.casestudies.models import ProjectStatus
from service.casestudies.schemas import CaseStudyCreate
from service.db.provenance import provenance_of
from service.funding.classifier import CATEGORY_LABELS, DigitalCategory
from service.funding.models import FundedProject
from service.funding.schemas import FundedProjectOut
from service.territories.models import Territory, TerritoryKind
from service.territories.schemas import TerritoryRef
from service.textkeys import fold

SCHEME_LABELS = {
    "DETR": "Dotation d'équipement des territoires ruraux",
    "DSIL": "Dotation de soutien à l'investissement local",
    "DPV": "Dotation politique de la ville",
    "DSID": "Dotation de soutien à l'investissement des départements",
}
MAX_WORDS = 10


def territory_condition(territory: Territory) -> ColumnElement[bool]:
    """Projects of a territory: its own, and those of its members (an EPCI's communes, a département's or
    a région's projects)."""
    if territory.kind is TerritoryKind.departement:
        return FundedProject.departement_code == territory.departement_code
    if territory.kind is TerritoryKind.region:
        return FundedProject.region_code == territory.region_code
    if territory.kind in (TerritoryKind.epci, TerritoryKind.ept):
        members = select(Territory.id).where(Territory.parent_epci_id == territory.id)
        return or_(FundedProject.territory_id == territory.id, FundedProject.territory_id.in_(members))
    return FundedProject.territory_id == territory.id


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def words_condition(q: str) -> ColumnElement[bool]:
    words = fold(q).split()[:MAX_WORDS]
    return and_(*(FundedProject.title_key.like(f"%{_escape_like(w)}%", escape="\\") for w in words))


def list_statement(
    *,
    territory: Territory | None = None,
    departement: str | None = None,
    region: str | None = None,
    year: int | None = None,
    category: DigitalCategory | None = None,
    q: str | None = None,
) -> Select[FundedProject]:
    stmt = select(FundedProject)
    if territory is not None:
        stmt = stmt.where(territory_condition(territory))
    if departement:
        stmt = stmt.where(FundedProject.departement_code == departement.strip().upper())
    if region:
        stmt = stmt.where(FundedProject.region_code == region.strip())
    if year is not None:
        stmt = stmt.where(FundedProject.year == year)
    if category is not None:
        stmt = stmt.where(FundedProject.category == category.value)
    if q:
        # Without a letter or a digit, nothing can match: an empty list, not an error.
        stmt = stmt.where(words_condition(q) if fold(q) else false())
    return stmt


def get_project(session: Session, project_id: int) -> FundedProject:
    project = session.get(FundedProject, project_id)
    if project is None:
        raise NotFoundError(f"Aucun projet financé avec l'identifiant {project_id}.")
    return project


def funded_by(session: Session, territory: Territory, *, limit: int) -> tuple[list[FundedProject], int]:
    """What a territory funded (newest first) and how many projects in all."""
    condition = territory_condition(territory)
    total = session.scalar(select(func.count(FundedProject.id)).where(condition)) or 0
    rows = session.scalars(
        select(FundedProject)
        .where(condition)
        .order_by(FundedProject.year.desc(), FundedProject.id.desc())
        .limit(limit)
    )
    return list(rows), total


def counts_by_territory(session: Session, territory_ids: list[int]) -> dict[int, int]:
    if not territory_ids:
        return {}
    rows = session.execute(
        select(FundedProject.territory_id, func.count(FundedProject.id))
        .where(FundedProject.territory_id.in_(territory_ids))
        .group_by(FundedProject.territory_id)
    )
    return {tid: n for tid, n in rows if tid is not None}


def to_out(project: FundedProject) -> FundedProjectOut:
    category = DigitalCategory(project.category)
    t = project.territory
    return FundedProjectOut(
        id=project.id,
        title=project.title,
        year=project.year,
        scheme=project.scheme,
        scheme_label=SCHEME_LABELS.get(project.scheme, project.scheme),
        category=category.value,
        category_label=CATEGORY_LABELS[category],
        cost_eur=project.cost_eur,
        grant_eur=project.grant_eur,
        beneficiary_name=project.beneficiary_name,
        beneficiary_kind=project.beneficiary_kind,
        territory=TerritoryRef(code=t.code, name=t.name, kind=t.kind) if t is not None else None,
        departement_code=project.departement_code,
        region_code=project.region_code,
        provenance=provenance_of(project),
    )


def _euros(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f") + " €"


def draft_from(project: FundedProject) -> CaseStudyCreate:
    """A full experience, prefilled from the funded project: the member then tells the story."""
    who = project.territory.name if project.territory is not None else project.beneficiary_name
    title = project.title[:1].upper() + project.title[1:]
    grant = f", subventionné à hauteur de {_euros(project.grant_eur)}" if project.grant_eur else ""
    cost = f" pour un coût de {_euros(project.cost_eur)} HT" if project.cost_eur else ""
    summary = (
        f"{who} a mené ce projet en {project.year}{cost}{grant} "
        f"({project.scheme} — {SCHEME_LABELS.get(project.scheme, project.scheme)}). "
        "Racontez ici ce qui a été fait, pour qui, et ce que vous en retenez."
    )
    funding = f"{project.scheme} {project.year}" + (
        f" : {_euros(project.grant_eur)}" if project.grant_eur else ""
    )
    return CaseStudyCreate(
        title=title[:120],
        summary=summary,
        context=f"Projet financé par l'État ({project.source_attribution}).",
        budget_eur=project.cost_eur if project.cost_eur and project.cost_eur >= 0 else None,
        funding=funding,
        status=ProjectStatus.deployed,
        territory_codes=[project.territory.code] if project.territory is not None else [],
        publication_state="draft",
    )
