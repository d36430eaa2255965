"""« Expériences de territoires comme le mien »: the published cases of the territories that have
some, ranked by how similar each territory is to the reader's (the score of `score.py`).

Every territory with a published case is a candidate, whatever its kind (the K and P terms rank a
département far below a commune of the same size for a commune). Within one peer, deployed and
generalised projects come first. The reader's own cases are left out."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from indexing.vector_index import VectorIndex
from service.casestudies.models import CaseStudy, ProjectStatus
from service.territories.features import facts_of
from service.territories.models import Territory, TerritoryKind
from service.territories.score import Scope
from service.territories.similarity import (
    Peer,
    Viewer,
    active_territories,
    load_viewer,
    rank_peers,
    scope_filter,
)

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
