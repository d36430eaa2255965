"""The `for_territory=` boost of /search: cases from territories like the reader's move up a little.

    boosted score = score + |score| × 0.10 × best similarity between the reader's territory and the
                    territories the case names (the structural + geographic score of `score.py`,
                    scope=france, without the thematic term: the query already carries the theme)

Multiplicative, so it means the same with the RRF, DBSF, cosine and lexical scores; a case without a
territory keeps its score. At most +10 %: relevance still leads, similarity breaks near-ties."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexing.retrieval import CaseHit
from service.territories.features import facts_of
from service.territories.models import Territory
from service.territories.score import compare

SEARCH_BOOST = 0.10


def territory_rerank(session: Session, territory: Territory) -> Callable[[list[CaseHit]], list[CaseHit]]:
    viewer = facts_of(territory)

    def rerank(hits: list[CaseHit]) -> list[CaseHit]:
        codes = {str(c) for h in hits for c in h.payload.get("territory_codes", [])}
        if not codes:
            return hits
        rows = session.scalars(select(Territory).where(Territory.code.in_(codes)))
        similarity = {t.code: compare(viewer, facts_of(t)).total for t in rows}
        for hit in hits:
            best = max(
                (similarity.get(str(c), 0.0) for c in hit.payload.get("territory_codes", [])), default=0.0
            )
            hit.score = hit.score + abs(hit.score) * SEARCH_BOOST * best
        # Stable: equal scores keep the retrieval order.
        return sorted(hits, key=lambda h: -h.score)

    return rerank
