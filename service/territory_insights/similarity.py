"""Similar territories: candidates from the territory collection (filtered by kind and scope), then
the exact score of `score.py` on a few hundred of them, with an explanation for each.

Candidates (a union, the territory itself excluded):
  1. the 200 nearest feature vectors of the allowed kinds in the scope;
  2. the members of its own EPCI (up to 200), which the geography term lifts;
  3. with scope=france, the 50 nearest in its département;
  4. when it has a thematic vector: the territories of the allowed kinds in the scope that have
     published cases (the thematic term can lift them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexing.territory_index import TerritoryFacts, TerritoryIndex
from indexing.vector_index import VectorIndex
from service.api.errors import InvalidFieldError
from service.territories.features import facts_of
from service.territories.models import Territory, TerritoryKind
from service.territories.score import Closeness, Scope, compare
from service.territory_insights.activity import (
    TerritoryCases,
    Vector,
    active_territory_ids,
    active_territory_ids_query,
    cases_of_territories,
    thematic_vectors,
)
from service.territory_insights.explanations import explain, place_names

NEAREST = 200
EPCI_MEMBERS = 200
DEPARTEMENT_NEAREST = 50
# Kinds a territory can be compared with (the first is the default, its own).
COMPARABLE_KINDS: dict[TerritoryKind, tuple[TerritoryKind, ...]] = {
    TerritoryKind.commune: (TerritoryKind.commune,),
    TerritoryKind.epci: (TerritoryKind.epci, TerritoryKind.ept),
    TerritoryKind.ept: (TerritoryKind.ept, TerritoryKind.epci),
    TerritoryKind.departement: (TerritoryKind.departement,),
    TerritoryKind.region: (TerritoryKind.region,),
    TerritoryKind.syndicat_mixte: (TerritoryKind.syndicat_mixte, TerritoryKind.epci),
    TerritoryKind.other: (TerritoryKind.other,),
}
KIND_PHRASES = {
    TerritoryKind.commune: "une commune",
    TerritoryKind.epci: "une intercommunalité",
    TerritoryKind.ept: "un établissement public territorial",
    TerritoryKind.departement: "un département",
    TerritoryKind.region: "une région",
    TerritoryKind.syndicat_mixte: "un syndicat mixte",
    TerritoryKind.other: "un territoire",
}


@dataclass
class Peer:
    facts: TerritoryFacts
    closeness: Closeness
    activity: TerritoryCases | None
    explanation: str


@dataclass
class Viewer:
    territory: Territory
    facts: TerritoryFacts
    activity: TerritoryCases | None
    vector: Vector | None


def load_viewer(session: Session, passages: VectorIndex | None, territory: Territory) -> Viewer:
    activity = cases_of_territories(session, [territory.id]).get(territory.id)
    vector = thematic_vectors(passages, {territory.id: activity}).get(territory.id) if activity else None
    return Viewer(territory, facts_of(territory), activity, vector)


def allowed_kinds(territory: Territory, kind: TerritoryKind | None) -> list[str]:
    """The kinds to compare with: its own (and close ones) by default; another kind is refused."""
    comparable = COMPARABLE_KINDS[territory.kind]
    if kind is None:
        return [k.value for k in comparable]
    if kind not in comparable:
        accepted = ", ".join(k.value for k in comparable)
        raise InvalidFieldError(
            f"{territory.name} est {KIND_PHRASES[territory.kind]} : on ne peut lui comparer que des "
            f"territoires de type {accepted}, pas de type {kind.value}",
            field="kind",
        )
    return [kind.value]


def scope_filter(territory: Territory, scope: Scope) -> dict[str, str]:
    if scope == "france":
        return {}
    if territory.kind is TerritoryKind.region or (
        scope == "departement" and territory.kind is TerritoryKind.departement
    ):
        raise InvalidFieldError(
            f"{territory.name} est {KIND_PHRASES[territory.kind]} : aucun territoire de même type dans son "
            f"propre périmètre (scope={scope}) ; utilisez scope=france"
            + (" ou scope=region" if territory.kind is TerritoryKind.departement else ""),
            field="scope",
        )
    value = territory.region_code if scope == "region" else territory.departement_code
    if not value:
        missing = "région connue" if scope == "region" else "département connu"
        raise InvalidFieldError(f"{territory.name} n'a pas de {missing}", field="scope")
    return {"region" if scope == "region" else "departement": value}


def active_territories(
    session: Session, *, kinds: Sequence[str], same: dict[str, str], exclude_id: int
) -> list[Territory]:
    """Territories of the given kinds in the scope that have at least one published case."""
    stmt = select(Territory).where(
        Territory.id.in_(active_territory_ids_query().scalar_subquery()),
        Territory.kind.in_([TerritoryKind(k) for k in kinds]),
        Territory.id != exclude_id,
    )
    if "departement" in same:
        stmt = stmt.where(Territory.departement_code == same["departement"])
    if "region" in same:
        stmt = stmt.where(Territory.region_code == same["region"])
    return list(session.scalars(stmt))


def candidates(
    session: Session, index: TerritoryIndex, viewer: Viewer, *, kinds: Sequence[str], same: dict[str, str]
) -> dict[str, TerritoryFacts]:
    facts = viewer.facts
    found: dict[str, TerritoryFacts] = {}
    exclude = [facts.code]
    queries: list[tuple[int, dict[str, str]]] = [(NEAREST, same)]
    if facts.epci:
        queries.append((EPCI_MEMBERS, {**same, "epci": facts.epci}))
    if not same and facts.departement:
        queries.append((DEPARTEMENT_NEAREST, {"departement": facts.departement}))
    for limit, flt in queries:
        for c in index.nearest(facts, limit=limit, kinds=kinds, same=flt, exclude_codes=exclude):
            found.setdefault(c.facts.code, c.facts)
    if viewer.vector is not None:
        for t in active_territories(session, kinds=kinds, same=same, exclude_id=facts.territory_id):
            found.setdefault(t.code, facts_of(t))
    return found


def rank_peers(
    session: Session,
    passages: VectorIndex | None,
    viewer: Viewer,
    peers: Sequence[TerritoryFacts],
    *,
    scope: Scope,
    limit: int,
) -> list[Peer]:
    """Score every peer, keep the best `limit`, explain each (ties: closer size, then code)."""
    active = active_territory_ids(session)
    activity = cases_of_territories(session, [p.territory_id for p in peers if p.territory_id in active])
    vectors = thematic_vectors(passages, activity) if viewer.vector is not None else {}
    scored = [
        (
            compare(
                viewer.facts, p, scope=scope, vector_a=viewer.vector, vector_b=vectors.get(p.territory_id)
            ),
            p,
        )
        for p in peers
    ]
    scored.sort(key=lambda cp: (-round(cp[0].total, 9), -cp[0].population, cp[1].code))
    best = scored[:limit]
    places = place_names(session, [viewer.facts, *(p for _, p in best)])
    return [
        Peer(
            facts=p,
            closeness=c,
            activity=activity.get(p.territory_id),
            explanation=explain(viewer.facts, p, c, activity=activity.get(p.territory_id), places=places),
        )
        for c, p in best
    ]


def similar_territories(
    session: Session,
    index: TerritoryIndex,
    passages: VectorIndex | None,
    *,
    territory: Territory,
    kind: TerritoryKind | None,
    scope: Scope,
    limit: int,
) -> tuple[Viewer, list[Peer]]:
    kinds = allowed_kinds(territory, kind)
    same = scope_filter(territory, scope)
    viewer = load_viewer(session, passages, territory)
    found = candidates(session, index, viewer, kinds=kinds, same=same)
    return viewer, rank_peers(session, passages, viewer, list(found.values()), scope=scope, limit=limit)
