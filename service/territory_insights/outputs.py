"""Plain results of the territory services -> API shapes."""

from __future__ import annotations

from indexing.territory_index import TerritoryFacts
from service.territories.models import EpciForm, TerritoryKind
from service.territories.schemas import ScoreParts, SimilarTerritory, TerritoryBrief, TerritoryRef
from service.territories.score import Closeness
from service.territory_insights.similarity import Peer


def brief(facts: TerritoryFacts) -> TerritoryBrief:
    return TerritoryBrief(
        code=facts.code,
        name=facts.name,
        kind=TerritoryKind(facts.kind),
        population=facts.population,
        departement_code=facts.departement,
        region_code=facts.region,
        epci_form=EpciForm(facts.epci_form) if facts.epci_form else None,
        rural_class=facts.rural_class,
        epci=(
            TerritoryRef(code=facts.epci, name=facts.epci_name or facts.epci, kind=TerritoryKind.epci)
            if facts.epci
            else None
        ),
    )


def parts(c: Closeness) -> ScoreParts:
    return ScoreParts(
        total=round(c.total, 4),
        structure=round(c.structure, 4),
        population=round(c.population, 4),
        same_epci_form=c.same_form,
        rural=c.rural,
        same_kind=c.same_kind,
        theme=None if c.theme is None else round(c.theme, 4),
        geography=c.geography,
        geography_level=c.geo_level,
    )


def similar_item(peer: Peer) -> SimilarTerritory:
    activity = peer.activity
    return SimilarTerritory(
        territory=brief(peer.facts),
        score=round(peer.closeness.total, 4),
        explanation=peer.explanation,
        parts=parts(peer.closeness),
        case_count=len(activity.cases) if activity else 0,
        themes=activity.theme_labels if activity else [],
    )
