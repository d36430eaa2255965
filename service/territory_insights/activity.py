"""What territories do on Retex: their published cases (owned through an organisation of the
territory, or naming the territory) and the thematic vector derived from them.

The thematic vector of a territory is the normalised mean of the summary vectors (passage 0, the
title and summary) of its published cases, read from the passage index: computed on demand, so it is
always as fresh as the index. A territory without an indexed case has none."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from sqlalchemy import CompoundSelect, select
from sqlalchemy.orm import Session

from indexing.case_index import passage_point_id
from indexing.vector_index import VectorIndex
from service.casestudies.loading import AS_CARDS
from service.casestudies.models import CaseStudy, PublicationState, case_territories
from service.organisations.models import Organisation
from service.territories.score import Vector

Link = Literal["owner", "concerned"]
MAX_CASES_PER_TERRITORY = 50  # most recent first; plenty for a mean vector


@dataclass
class TerritoryCases:
    """The published cases of one territory; `links[case_id]` says how it is tied to each."""

    territory_id: int
    cases: list[CaseStudy] = field(default_factory=list)
    links: dict[int, set[Link]] = field(default_factory=dict)

    @property
    def theme_labels(self) -> list[str]:
        """Theme labels of its cases, most frequent first."""
        counts: dict[str, int] = defaultdict(int)
        for case in self.cases:
            for theme in case.themes:
                counts[theme.label] += 1
        return sorted(counts, key=lambda label: (-counts[label], label))


def cases_of_territories(
    session: Session, territory_ids: Collection[int] | None = None
) -> dict[int, TerritoryCases]:
    """Published cases per territory, for the given territories (None: every territory with one)."""
    if territory_ids is not None and not territory_ids:
        return {}
    published = CaseStudy.publication_state == PublicationState.published
    pairs: list[tuple[int, int, Link]] = []
    for link, column, join_on in (
        ("concerned", case_territories.c.territory_id, CaseStudy.id == case_territories.c.case_study_id),
        ("owner", Organisation.territory_id, Organisation.id == CaseStudy.organisation_id),
    ):
        which = column.in_(list(territory_ids)) if territory_ids is not None else column.is_not(None)
        stmt = select(column, CaseStudy.id).select_from(column.table).join(CaseStudy, join_on)
        rows = session.execute(stmt.where(published, which))
        pairs += [(tid, cid, link) for tid, cid in rows if tid is not None]  # type: ignore[misc]
    if not pairs:
        return {}
    cases = {
        c.id: c
        for c in session.scalars(
            select(CaseStudy).where(CaseStudy.id.in_({cid for _, cid, _ in pairs})).options(*AS_CARDS)
        )
    }
    result: dict[int, TerritoryCases] = {}
    for tid, cid, link in pairs:
        entry = result.setdefault(tid, TerritoryCases(tid))
        entry.links.setdefault(cid, set()).add(link)
    for entry in result.values():
        ordered = sorted(entry.links, key=lambda cid: (cases[cid].published_at is None, -cid))
        entry.cases = [cases[cid] for cid in ordered[:MAX_CASES_PER_TERRITORY]]
    return result


def active_territory_ids_query() -> CompoundSelect[int | None]:
    """Ids of territories with at least one published case (named by it, or owning it through an
    organisation)."""
    published = CaseStudy.publication_state == PublicationState.published
    concerned = (
        select(case_territories.c.territory_id)
        .join(CaseStudy, CaseStudy.id == case_territories.c.case_study_id)
        .where(published)
    )
    owned = (
        select(Organisation.territory_id)
        .join(CaseStudy, CaseStudy.organisation_id == Organisation.id)
        .where(published, Organisation.territory_id.is_not(None))
    )
    return concerned.union(owned)


def active_territory_ids(session: Session) -> set[int]:
    """A small set, cheaper to intersect than to look cases up for hundreds of candidates."""
    return {tid for tid in session.scalars(active_territory_ids_query()) if tid is not None}


def case_vectors(index: VectorIndex | None, case_ids: Collection[int]) -> dict[int, Vector]:
    """Summary vectors of indexed cases (unindexed ones are left out)."""
    if index is None or not case_ids:
        return {}
    point_of = {passage_point_id(cid, 0): cid for cid in case_ids}
    stored = index.retrieve_vectors(list(point_of))
    return {point_of[pid]: vec for pid, vec in stored.items() if pid in point_of}


def mean_direction(vectors: list[Vector]) -> Vector | None:
    if not vectors:
        return None
    mean = np.mean(np.stack(vectors), axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm).astype(np.float32) if norm > 0 else None


def thematic_vectors(index: VectorIndex | None, activity: dict[int, TerritoryCases]) -> dict[int, Vector]:
    """territory id -> thematic vector, for territories with at least one indexed case."""
    vectors = case_vectors(index, {c.id for entry in activity.values() for c in entry.cases})
    result: dict[int, Vector] = {}
    for tid, entry in activity.items():
        vec = mean_direction([vectors[c.id] for c in entry.cases if c.id in vectors])
        if vec is not None:
            result[tid] = vec
    return result
