"""The search of curated collections for the search page and API: their own result type next to the
cases, like the events (the collections domain gives the documents, service/collections/indexing.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, raiseload

from indexing.document_index import DocumentIndexer
from service.casestudies.models import CaseStudy, PublicationState
from service.collections.models import Collection, CollectionItem, Visibility
from service.search.side_results import closest


@dataclass(frozen=True)
class CollectionResult:
    collection: Collection
    score: float
    snippet: str
    items: int  # the published experiences it holds (what its page lists)


def _public(db: Session, ids: list[int]) -> dict[int, tuple[Collection, int]]:
    """The public ones among `ids` (one made unlisted since it was indexed is never shown), with how many
    published experiences each holds: counted in one statement, instead of loading every item with its
    case and the case's relations."""
    wanted = (
        select(Collection)
        .options(raiseload(Collection.items))
        .where(Collection.id.in_(ids), Collection.visibility == Visibility.public)
    )
    found = {c.id: c for c in db.scalars(wanted).unique()}
    if not found:
        return {}
    published = (
        select(CollectionItem.collection_id, func.count())
        .join(CaseStudy, CaseStudy.id == CollectionItem.case_study_id)
        .where(
            CollectionItem.collection_id.in_(list(found)),
            CaseStudy.publication_state == PublicationState.published,
        )
        .group_by(CollectionItem.collection_id)
    )
    shown: dict[int, int] = {int(i): int(n) for i, n in db.execute(published).all()}
    return {i: (c, shown.get(i, 0)) for i, c in found.items()}


def search_collections(
    db: Session, indexer: DocumentIndexer, query: str, *, limit: int = 3
) -> list[CollectionResult]:
    """The closest public collections for `query` that share a word with it (side_results.py)."""
    return [
        CollectionResult(collection, score, snippet, items)
        for (collection, items), score, snippet in closest(db, indexer, query, _public, limit=limit)
    ]
