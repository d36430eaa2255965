"""« Expériences de territoires comme le mien »: the published cases of the territories that have
some, ranked by how similar each territory is to the reader's (the score of `score.py`).

Every territory with a published case is a candidate, whatever its kind (the K and P terms rank a
département far below a commune of the same size for a commune). Within one peer, deployed and
generalised projects come first. The reader's own cases are left out.

Funded projects (DGCL grants) count too: `funded_for` ranks the territories that funded digital
projects the same way and lists their projects, the most similar territory first."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from indexing.vector_index import VectorIndex
from service.casestudies.models import CaseStudy, ProjectStatus
from service.funding.models import FundedProject
from service.territories.features import facts_of
from service.territories.models import Territory, TerritoryKind
from service.territories.score import Scope
from service.territory_insights.similarity import (
    Peer,
    Viewer,
    active_territories,
    load_viewer,
    rank_peers,
    scope_filter,
)

SHORTLIST = 200  # funders scored exactly by funded_for
STATUS_ORDER = {
    ProjectStatus.generalised: 0,
    ProjectStatus.deployed: 1,
    ProjectStatus.pilot: 2,
    ProjectStatus.idea: 3,
    ProjectStatus.stopped: 4,
}


@dataclass
class Experience:
    case: CaseStudy
    peer: Peer


def experiences_for(
    session: Session, passages: VectorIndex | None, *, territory: Territory, scope: Scope, limit: int
) -> tuple[Viewer, list[Experience], int]:
    """(reader, the best `limit` experiences, how many there are in all)."""
    same = scope_filter(territory, scope)
    viewer = load_viewer(session, passages, territory)
    peers_found = active_territories(
        session, kinds=[k.value for k in TerritoryKind], same=same, exclude_id=territory.id
    )
    peers = rank_peers(
        session, passages, viewer, [facts_of(t) for t in peers_found], scope=scope, limit=len(peers_found)
    )
    seen = {c.id for c in viewer.activity.cases} if viewer.activity else set()
    items: list[Experience] = []
    for peer in peers:
        cases = peer.activity.cases if peer.activity else []
        for case in sorted(cases, key=lambda c: (STATUS_ORDER[c.status], -c.id)):
            if case.id not in seen:
                seen.add(case.id)
                items.append(Experience(case, peer))
    return viewer, items[:limit], len(items)


@dataclass
class FundedExperience:
    project: FundedProject
    peer: Peer


def funded_for(
    session: Session, passages: VectorIndex | None, *, territory: Territory, scope: Scope, limit: int
) -> tuple[list[FundedExperience], int]:
    """(the funded digital projects of the territories most like the reader's, how many there are)."""
    same = scope_filter(territory, scope)
    viewer = load_viewer(session, passages, territory)
    ids = select(Territory.id).where(
        Territory.id.in_(select(FundedProject.territory_id).where(FundedProject.territory_id.is_not(None))),
        Territory.id != territory.id,
    )
    if "departement" in same:
        ids = ids.where(Territory.departement_code == same["departement"])
    if "region" in same:
        ids = ids.where(Territory.region_code == same["region"])
    total = session.scalar(select(func.count(FundedProject.id)).where(FundedProject.territory_id.in_(ids)))
    if not total:
        return [], 0
    # Scoring 3,000 funders takes seconds: score only the SHORTLIST closest in kind and size (the size term
    # weighs most in the structural score), read as plain columns, then rank those exactly.
    size = math.log10(max(territory.population or 1, 1))
    candidates = sorted(
        session.execute(
            select(Territory.id, Territory.kind, Territory.population, Territory.code).where(
                Territory.id.in_(ids)
            )
        ).all(),
        key=lambda c: (
            c.kind is not territory.kind,
            abs(math.log10(max(c.population or 1, 1)) - size),
            c.code,
        ),
    )
    chosen = [c.id for c in candidates[:SHORTLIST]]
    shortlist = [facts_of(t) for t in session.scalars(select(Territory).where(Territory.id.in_(chosen)))]
    peers = rank_peers(session, passages, viewer, shortlist, scope=scope, limit=limit)
    by_territory: dict[int, list[FundedProject]] = {}
    for project in session.scalars(
        select(FundedProject)
        .where(FundedProject.territory_id.in_([p.facts.territory_id for p in peers]))
        .order_by(FundedProject.year.desc(), FundedProject.id.desc())
    ):
        by_territory.setdefault(project.territory_id or 0, []).append(project)
    items = [
        FundedExperience(project, peer)
        for peer in peers
        for project in by_territory.get(peer.facts.territory_id, [])
    ]
    return items[:limit], total or 0
