"""The search of curated collections for the search page and API: their own result type next to the
cases, like the events (the collections domain gives the documents, service/collections/indexing.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, raiseload

from indexing.document_index import DocumentIndexer
from indexing.sparse import highlight
from service.casestudies.models import CaseStudy, PublicationState
from service.collections.models import Collection, CollectionItem, Visibility


@dataclass(frozen=True)
class CollectionResult:
    collection: Collection
    score: float
    snippet: str
    items: int  # the published experiences it holds (what its page lists)


def search_collections(
    db: Session, indexer: DocumentIndexer, query: str, *, limit: int = 3
) -> list[CollectionResult]:
    """The closest public collections for `query`, rechecked against the database (the index may lag: a
    collection made unlisted since is never shown). A side dish like the events: shown only when it shares
    a word with the query."""
    hits = indexer.find(query, limit=limit * 3)
    if not hits:
        return []
    ids = [h.entity_id for h in hits]
    # A result card shows the title, the organisation and how many published experiences it holds:
    # counted in one statement, instead of loading every item with its case and the case's relations.
    wanted = (
        select(Collection)
        .options(raiseload(Collection.items))
        .where(Collection.id.in_(ids), Collection.visibility == Visibility.public)
    )
    found = {c.id: c for c in db.scalars(wanted).unique()}
    published = select(CollectionItem.collection_id, func.count()).join(
        CaseStudy, CaseStudy.id == CollectionItem.case_study_id
    )
    shown: dict[int, int] = (
        dict(
            db.execute(
                published.where(
                    CollectionItem.collection_id.in_(list(found)),
                    CaseStudy.publication_state == PublicationState.published,
                ).group_by(CollectionItem.collection_id)
            ).all()
        )
        if found
        else {}
    )
    results = []
    for hit in hits:
        collection = found.get(hit.entity_id)
        snippet = highlight(hit.text, query)
        if collection is not None and "<mark>" in snippet:
            results.append(CollectionResult(collection, hit.score, snippet, shown.get(collection.id, 0)))
    return results[:limit]
