"""The result types shown beside the cases (discussions, events, collections) share one rule: the closest
documents of the kind, kept only when they share a word with the query (their snippet has a highlight, so
an unrelated nearest neighbour never fills the space), then rechecked against the database (the index may
lag). The word check comes first: a search whose neighbours share no word costs no database query."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from sqlalchemy.orm import Session

from indexing.document_index import DocumentIndexer
from indexing.sparse import highlight

Entity = TypeVar("Entity")


def closest(
    db: Session,
    indexer: DocumentIndexer,
    query: str,
    load: Callable[[Session, list[int]], Mapping[int, Entity]],
    *,
    limit: int,
) -> list[tuple[Entity, float, str]]:
    """(entity, score, snippet) of the best `limit` documents that share a word with the query and that
    `load` still finds (it returns the ones that may be shown, by id)."""
    marked = [
        (hit, snippet)
        for hit in indexer.find(query, limit=limit * 3)
        if "<mark>" in (snippet := highlight(hit.text, query))
    ]
    if not marked:
        return []
    found = load(db, [hit.entity_id for hit, _ in marked])
    return [(found[h.entity_id], h.score, s) for h, s in marked if h.entity_id in found][:limit]
