"""What the search index knows of a collection: plain data for indexing/document_index.py (the search of
collections is in service/search/collection_results.py). Public collections only: an unlisted one is
reachable by its link, never found."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from indexing.document_index import WholeDocument
from service.collections.models import Collection, Visibility
from service.collections.service import published_items


def searchable_collections() -> Select[int]:
    return select(Collection.id).where(Collection.visibility == Visibility.public).order_by(Collection.id)


def is_searchable(collection: Collection) -> bool:
    return collection.visibility is Visibility.public


def collection_document(collection: Collection) -> WholeDocument:
    """The introduction, then each experience chosen (its title, and why it was chosen)."""
    parts = [collection.introduction]
    for item in published_items(collection):
        parts += [item.case_study.title, item.comment]
    return WholeDocument(
        entity_id=collection.id,
        title=collection.title,
        text="\n".join(p for p in parts if p),
        fields={"kind": "collection"},
    )


def collection_documents(db: Session, collection_ids: Sequence[int]) -> list[WholeDocument]:
    """The documents of the public ones among those collections."""
    found = db.scalars(select(Collection).where(Collection.id.in_(collection_ids))).unique()
    return [collection_document(c) for c in found if is_searchable(c)]
