"""Mutualisation finder: which territories of my EPCI or my département have the same need, or have
already met it, so that small communes can group a purchase or share a tool (the model: the Val
d'Oise syndicat mixte that buys software for the communes of the département).

The need is a theme (`theme=`, exact) or words (`q=`, the hybrid search restricted to cases naming a
territory of the perimeter). Only published cases are read. A territory of the perimeter is:
  - scope=epci: a commune of the same EPCI (same_epci), or the EPCI itself (own_epci);
  - scope=departement: the above, any other territory of the same département (same_departement),
    or the département itself (own_departement).
Each territory's state: solved (a deployed or generalised project), in_progress (idea or pilot),
stopped (only stopped projects: their lessons still count). Order: the EPCI before the département,
solved before in progress before stopped, then relevance (q) or number of cases (theme).

Beside those peers, the pooling bodies whose perimeter holds the territory (service/pooling: syndicats
mixtes, agences techniques, EPCI that offer shared tools to their communes) answer « who could share a
tool with me »: `pooling_near`, the intercommunality's offers first, then the département's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from indexing.territory_index import TerritoryFacts
from service.api.errors import InvalidFieldError
from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState, case_territories
from service.casestudies.schemas import STATUS_LABELS
from service.organisations.models import Organisation
from service.pooling.service import PoolingMatch, offers_for
from service.search import pipeline
from service.search.pipeline import SearchQuery
from service.search.service import SearchFilters
from service.search_engine.engine import SearchEngine
from service.territories.codes import departement_key
from service.territories.features import facts_of
from service.territories.models import Territory, TerritoryKind
from service.themes.listing import find_theme
from service.themes.models import Theme

MutualisationScope = Literal["epci", "departement"]
Relation = Literal["same_epci", "own_epci", "same_departement", "own_departement"]
State = Literal["solved", "in_progress", "stopped"]
RELATION_ORDER: dict[str, int] = {"own_epci": 0, "same_epci": 1, "own_departement": 2, "same_departement": 3}
STATE_ORDER: dict[str, int] = {"solved": 0, "in_progress": 1, "stopped": 2}
SOLVED = (ProjectStatus.deployed, ProjectStatus.generalised)
IN_PROGRESS = (ProjectStatus.idea, ProjectStatus.pilot)


@dataclass
class Perimeter:
    viewer: Territory
    epci: Territory | None  # the viewer's EPCI (or the viewer, if it is one)
    departement_code: str | None  # None with scope=epci
    departement_name: str | None = None

    def relation(self, t: Territory) -> Relation | None:
        if t.id == self.viewer.id:
            return None
        if self.epci is not None:
            if t.id == self.epci.id:
                return "own_epci"
            if t.parent_epci_id == self.epci.id:
                return "same_epci"
        if self.departement_code:
            if t.code == departement_key(self.departement_code):
                return "own_departement"
            if t.departement_code == self.departement_code:
                return "same_departement"
        return None


@dataclass
class Partner:
    territory: Territory
    facts: TerritoryFacts
    relation: Relation
    cases: list[CaseStudy] = field(default_factory=list)
    best_rank: int = 0
    state: State = "stopped"
    explanation: str = ""


def perimeter_of(session: Session, territory: Territory, scope: MutualisationScope) -> Perimeter:
    if territory.kind in (TerritoryKind.region,) or (
        territory.kind is TerritoryKind.departement and scope == "epci"
    ):
        raise InvalidFieldError(
            f"{territory.name} n'a ni intercommunalité ni département propre à explorer : la recherche de "
            "mutualisation part d'une commune, d'une intercommunalité ou d'un département "
            "(scope=departement)",
            field="scope",
        )
    epci = territory if territory.kind in (TerritoryKind.epci, TerritoryKind.ept) else territory.parent_epci
    if scope == "epci":
        if epci is None:
            raise InvalidFieldError(
                f"{territory.name} n'appartient à aucune intercommunalité : utilisez scope=departement",
                field="scope",
            )
        return Perimeter(territory, epci, None)
    dep = territory.departement_code
    if not dep:
        raise InvalidFieldError(f"{territory.name} n'a pas de département connu", field="scope")
    name = session.scalar(select(Territory.name).where(Territory.code == departement_key(dep)))
    return Perimeter(territory, epci, dep, name)


def _perimeter_condition(perimeter: Perimeter) -> ColumnElement[bool]:
    conditions = []
    if perimeter.epci is not None:
        conditions += [Territory.id == perimeter.epci.id, Territory.parent_epci_id == perimeter.epci.id]
    if perimeter.departement_code:
        conditions += [
            Territory.departement_code == perimeter.departement_code,
            Territory.code == departement_key(perimeter.departement_code),
        ]
    return or_(*conditions)


def _links(
    session: Session, perimeter: Perimeter, case_ids: Sequence[int] | None, theme: Theme | None
) -> list[tuple[Territory, CaseStudy]]:
    """(territory of the perimeter, published case) pairs: the case names the territory, or belongs to
    one of its organisations; restricted to `case_ids` (q) or to a theme."""
    published = CaseStudy.publication_state == PublicationState.published
    base_filters = [published, _perimeter_condition(perimeter), Territory.id != perimeter.viewer.id]
    if case_ids is not None:
        base_filters.append(CaseStudy.id.in_(list(case_ids)))
    if theme is not None:
        base_filters.append(CaseStudy.themes.any(Theme.id == theme.id))
    concerned = (
        select(Territory, CaseStudy)
        .join(case_territories, case_territories.c.territory_id == Territory.id)
        .join(CaseStudy, CaseStudy.id == case_territories.c.case_study_id)
        .where(*base_filters)
    )
    owned = (
        select(Territory, CaseStudy)
        .join(Organisation, Organisation.territory_id == Territory.id)
        .join(CaseStudy, CaseStudy.organisation_id == Organisation.id)
        .where(*base_filters)
    )
    pairs = [(t, c) for t, c in session.execute(concerned)] + [(t, c) for t, c in session.execute(owned)]
    return pairs


def _state(cases: Sequence[CaseStudy]) -> State:
    if any(c.status in SOLVED for c in cases):
        return "solved"
    if any(c.status in IN_PROGRESS for c in cases):
        return "in_progress"
    return "stopped"


def explain_partner(partner: Partner, perimeter: Perimeter) -> str:
    t = partner.territory
    if partner.relation == "own_epci":
        who = f"{t.name}, votre intercommunalité,"
    elif partner.relation == "same_epci":
        epci_name = perimeter.epci.name if perimeter.epci is not None else ""
        who = f"{t.name}, membre de votre intercommunalité ({epci_name}),"
    elif partner.relation == "own_departement":
        who = f"{t.name}, votre département,"
    else:
        who = f"{t.name}, dans votre département ({perimeter.departement_name or t.departement_code}),"
    if partner.state == "solved":
        case = next(c for c in partner.cases if c.status in SOLVED)
        what = f"a déjà répondu à ce besoin : « {case.title} » ({STATUS_LABELS[case.status].lower()})"
        then = "partager son outil ou rejoindre son achat est à étudier"
    elif partner.state == "in_progress":
        case = next(c for c in partner.cases if c.status in IN_PROGRESS)
        what = f"a le même besoin : « {case.title} » ({STATUS_LABELS[case.status].lower()})"
        then = "un achat groupé ou un outil partagé est envisageable"
    else:
        case = partner.cases[0]
        what = f"a déjà essayé : « {case.title} » (projet arrêté)"
        then = "son retour d'expérience peut éviter les mêmes écueils"
    more = len(partner.cases) - 1
    extra = f" (et {more} autre{'s' if more > 1 else ''} expérience{'s' if more > 1 else ''})" if more else ""
    return f"{who} {what}{extra} : {then}."


def find_partners(
    session: Session,
    engine: SearchEngine | None,
    *,
    territory: Territory,
    q: str | None,
    theme_slug: str | None,
    scope: MutualisationScope,
    limit: int,
) -> tuple[list[Partner], int]:
    if not q and not theme_slug:
        raise InvalidFieldError("indiquez le besoin (q) ou un thème (theme)", field="q")
    theme = None
    if theme_slug:
        theme = find_theme(session, slug=theme_slug)
        if theme is None:
            raise InvalidFieldError(f"thème inconnu : {theme_slug} (voir /api/v1/themes)", field="theme")
    perimeter = perimeter_of(session, territory, scope)
    ranks: dict[int, int] = {}
    case_ids: list[int] | None = None
    if q:
        if engine is None:
            raise InvalidFieldError("la recherche démarre : réessayez dans quelques secondes", field="q")
        where: dict[str, list[str | int]] = {}
        if perimeter.departement_code:
            where["departement"] = [perimeter.departement_code]
        elif perimeter.epci is not None:
            where["territory"] = [perimeter.epci.code]
        query = SearchQuery(text=q, filters=SearchFilters(values=where), discussions=False)
        ranks = {case_id: i for i, case_id in enumerate(pipeline.case_ids(session, engine, query))}
        case_ids = list(ranks)
    partners: dict[int, Partner] = {}
    for t, case in _links(session, perimeter, case_ids, theme):
        relation = perimeter.relation(t)
        if relation is None:
            continue
        partner = partners.setdefault(t.id, Partner(t, facts_of(t), relation))
        if case.id not in {c.id for c in partner.cases}:
            partner.cases.append(case)
    for partner in partners.values():
        partner.cases.sort(key=lambda c: (ranks.get(c.id, 0), STATE_ORDER[_state([c])], -c.id))
        partner.best_rank = min((ranks.get(c.id, 0) for c in partner.cases), default=0)
        partner.state = _state(partner.cases)
        partner.explanation = explain_partner(partner, perimeter)
    ordered = sorted(
        partners.values(),
        key=lambda p: (
            RELATION_ORDER[p.relation],
            STATE_ORDER[p.state],
            p.best_rank,
            -len(p.cases),
            p.territory.code,
        ),
    )
    return ordered[:limit], len(ordered)


def pooling_near(session: Session, territory: Territory) -> list[PoolingMatch]:
    """The pooling bodies that serve the territory's communes (its EPCI's, its département's)."""
    if territory.kind is TerritoryKind.region:
        return []
    return offers_for(session, territory)
