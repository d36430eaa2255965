"""How well a case fits a reader's territory: the score of `score.py` between the reader's territory
and each territory of the case (those it names, and its organisation's), the best one kept.

The thematic term compares the reader's thematic vector with the case's own summary vector. A case
of the reader's own territory fits by definition (score 1); one led by a territory that contains the
reader's (its EPCI, département or région) concerns it too, whatever their sizes: at least 0.9, 0.8
or 0.7. A case carried by a grouping (a département, an EPCI) serves its communes (in the size band its
text names, e.g. « petites communes »): the reader is also compared with the most similar of those
beneficiaries (service/territory_insights/served.py), and the explanation says so."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from indexing.territory_index import TerritoryFacts
from indexing.vector_index import VectorIndex
from service.casestudies.loading import AS_CARDS
from service.casestudies.models import CaseStudy
from service.territories.features import facts_of
from service.territories.models import Territory
from service.territories.score import Closeness, Vector, compare
from service.territory_insights.activity import case_vectors
from service.territory_insights.explanations import explain, fmt_decimal, fmt_int, place_names
from service.territory_insights.served import Served, served_peers, target_ceiling
from service.territory_insights.similarity import Viewer, load_viewer

CONTAINING: dict[str, tuple[float, str]] = {
    "epci": (0.9, "votre intercommunalité"),
    "departement": (0.8, "votre département"),
    "region": (0.7, "votre région"),
}


def containing_level(reader: TerritoryFacts, other: TerritoryFacts) -> str | None:
    """ "epci", "departement" or "region" when `other` is that territory of the reader."""
    if reader.epci and other.code == reader.epci:
        return "epci"
    if other.kind == "departement" and reader.departement and other.departement == reader.departement:
        return "departement" if reader.kind != "departement" else None
    if other.kind == "region" and reader.region and other.region == reader.region:
        return "region" if reader.kind != "region" else None
    return None


@dataclass
class FitMatch:
    facts: TerritoryFacts
    closeness: Closeness
    score: float
    explanation: str


@dataclass
class Fit:
    viewer: Viewer
    score: float | None
    explanation: str
    matches: list[FitMatch]


def _served_text(served: Served) -> str:
    band = f"de moins de {fmt_int(served.max_population)} hab. " if served.max_population else ""
    plural = "s" if served.count > 1 else ""
    return (
        f"elle sert les communes {band}de {served.carrier.name} ({fmt_int(served.count)} commune{plural}), "
        f"dont {served.member.name} ({fmt_int(served.member.population or 0)} hab.)"
    )


def case_territories_of(case: CaseStudy) -> list[Territory]:
    territories = list(case.territories)
    org_territory = case.organisation.territory if case.organisation is not None else None
    if org_territory is not None and org_territory.id not in {t.id for t in territories}:
        territories.append(org_territory)
    return territories


def case_fit(session: Session, passages: VectorIndex | None, *, case: CaseStudy, territory: Territory) -> Fit:
    return cases_fit(session, passages, cases=[case], territory=territory)[case.id]


def load_for_fit(session: Session, case_ids: Collection[int]) -> list[CaseStudy]:
    """The cases with what their fit reads (territories, organisation's territory), in two statements."""
    if not case_ids:
        return []
    stmt = select(CaseStudy).where(CaseStudy.id.in_(list(case_ids)))
    return list(session.scalars(stmt.options(*AS_CARDS, lazyload(CaseStudy.themes))))


def cases_fit(
    session: Session, passages: VectorIndex | None, *, cases: Sequence[CaseStudy], territory: Territory
) -> dict[int, Fit]:
    """The fit of each case for the reader, by case id: the same number of statements for one case or a
    page of search results (the reader, the served communes and the place names are looked up once)."""
    viewer = load_viewer(session, passages, territory)
    vectors = case_vectors(passages, [c.id for c in cases])
    territories = {c.id: case_territories_of(c) for c in cases}
    facts = {t.id: facts_of(t) for ts in territories.values() for t in ts}
    # The communes a grouping serves, for a reader outside it (inside, the containing rule says it all).
    asks = {
        c.id: [
            (t, target_ceiling(c))
            for t in territories[c.id]
            if t.id != territory.id and containing_level(viewer.facts, facts[t.id]) is None
        ]
        for c in cases
    }
    found = served_peers(session, [ask for of_case in asks.values() for ask in of_case], territory)
    served = {
        cid: [s for t, ceiling in of_case if (s := found.get((t.id, ceiling))) is not None]
        for cid, of_case in asks.items()
    }
    places = place_names(
        session, [viewer.facts, *facts.values(), *(facts_of(s.member) for s in found.values())]
    )
    return {
        c.id: _fit(viewer, [facts[t.id] for t in territories[c.id]], served[c.id], vectors.get(c.id), places)
        for c in cases
    }


def _fit(
    viewer: Viewer,
    facts: list[TerritoryFacts],
    served: list[Served],
    case_vector: Vector | None,
    places: Mapping[str, str],
) -> Fit:
    territory = viewer.territory
    if not facts:
        return Fit(
            viewer,
            None,
            f"Cette expérience n'est rattachée à aucun territoire : sa proximité avec {territory.name} "
            "ne peut pas être estimée.",
            [],
        )
    matches = []
    for beneficiary in served:  # a commune the project serves, compared with the reader
        f = facts_of(beneficiary.member)
        closeness = compare(viewer.facts, f, vector_a=viewer.vector, vector_b=case_vector)
        why = explain(viewer.facts, f, closeness, activity=None, places=places)
        text = f"{_served_text(beneficiary)} ; {why}"
        matches.append(FitMatch(f, closeness, closeness.total, text))
    for f in facts:
        closeness = compare(viewer.facts, f, vector_a=viewer.vector, vector_b=case_vector)
        level = containing_level(viewer.facts, f)
        if f.territory_id == territory.id:
            matches.append(FitMatch(f, closeness, 1.0, f"cette expérience concerne directement {f.name}"))
        elif level is not None:
            floor, what = CONTAINING[level]
            text = f"menée par {what} ({f.name}), qui englobe {territory.name}"
            matches.append(FitMatch(f, closeness, max(floor, closeness.total), text))
        else:
            text = explain(viewer.facts, f, closeness, activity=None, places=places)
            matches.append(FitMatch(f, closeness, closeness.total, text))
    matches.sort(key=lambda m: (-m.score, m.facts.code))
    best = matches[0]
    if best.facts.territory_id == territory.id or containing_level(viewer.facts, best.facts):
        summary = f"Proximité {fmt_decimal(best.score)} : {best.explanation}."
    else:
        summary = f"Proximité {fmt_decimal(best.score)} avec {best.facts.name} : {best.explanation}."
    return Fit(viewer, best.score, summary, matches)
