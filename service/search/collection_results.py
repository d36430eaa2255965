"""The search of curated collections for the search page and API: their own result type next to the
cases, like the events (the collections domain gives the documents, service/collections/indexing.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexing.document_index import DocumentIndexer
from indexing.sparse import highlight
from service.casestudies.models import PublicationState
from service.collections.models import Collection, Visibility


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
    wanted = select(Collection).where(
        Collection.id.in_([h.entity_id for h in hits]), Collection.visibility == Visibility.public
    )
    found = {c.id: c for c in db.scalars(wanted).unique()}
    results = []
    for hit in hits:
        collection = found.get(hit.entity_id)
        snippet = highlight(hit.text, query)
        if collection is not None and "<mark>" in snippet:
            shown = sum(
                1 for i in collection.items if i.case_study.publication_state is PublicationState.published
            )
            results.append(CollectionResult(collection, hit.score, snippet, shown))
    return results[:limit]
