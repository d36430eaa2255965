"""Documents indexed one point each in their kind's collection (threads here): indexed once per document,
found by their words, replaced and removed cleanly, filter fields kept."""

from __future__ import annotations

from pathlib import Path

from indexing.document_index import THREADS, DocumentIndexer, WholeDocument
from indexing.embedder import HashingEmbedder
from indexing.index_types import FieldFilter
from indexing.vector_index import open_index


def test_documents_are_found_replaced_and_removed(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    with open_index(THREADS.spec(embedder), path=tmp_path) as index:
        indexer = DocumentIndexer(embedder, index, THREADS)
        docs = [
            WholeDocument(1, "Marché public de logiciels", "Comment rédiger un marché à bons de commande ?"),
            WholeDocument(
                2,
                "Capteurs de pollen",
                "Quels capteurs pour mesurer le pollen en ville ?",
                {"theme": "sante", "case_id": 7},
            ),
        ]
        assert indexer.index_documents(docs) == 2
        assert indexer.index_documents(docs) == 2  # replaying rewrites the same points
        assert indexer.indexed_count() == 2 and indexer.indexed_ids() == {1, 2}
        hits = indexer.find("capteurs pollen")
        assert hits[0].entity_id == 2 and "pollen" in hits[0].text
        assert index.count(FieldFilter(any_of={"theme": ["sante"]})) == 1  # the kind's filter fields
        indexer.index_documents([WholeDocument(2, "Capteurs de pollen", "Nouvelle version du message.")])
        assert index.count() == 2
        indexer.remove_documents([2])
        assert [h.entity_id for h in indexer.find("capteurs pollen")] == [1]
