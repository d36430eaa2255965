"""Threads in their own collection: indexed once per thread, found by their words, removed cleanly."""

from __future__ import annotations

from pathlib import Path

from indexing.embedder import HashingEmbedder
from indexing.thread_index import ThreadDocument, ThreadIndexer, threads_spec
from indexing.vector_index import open_index


def test_threads_are_found_replaced_and_removed(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    with open_index(threads_spec(embedder), path=tmp_path) as index:
        indexer = ThreadIndexer(embedder, index)
        docs = [
            ThreadDocument(1, "Marché public de logiciels", "Comment rédiger un marché à bons de commande ?"),
            ThreadDocument(
                2, "Capteurs de pollen", "Quels capteurs pour mesurer le pollen en ville ?", theme="sante"
            ),
        ]
        assert indexer.index_threads(docs) == 2
        assert indexer.index_threads(docs) == 2  # replaying rewrites the same points
        assert index.count() == 2
        hits = indexer.search("capteurs pollen")
        assert hits[0].thread_id == 2 and "pollen" in hits[0].text
        indexer.index_threads([ThreadDocument(2, "Capteurs de pollen", "Nouvelle version du message.")])
        assert index.count() == 2
        indexer.remove_threads([2])
        assert [h.thread_id for h in indexer.search("capteurs pollen")] == [1]
