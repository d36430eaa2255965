"""The search engine of one process: the embedding model, the passage index and its retriever."""

from __future__ import annotations

from indexing.case_index import CaseIndexer, passages_spec
from indexing.embedder import Embedder, load_embedder
from indexing.retrieval import RetrievalSettings, Retriever
from indexing.vector_index import VectorIndex, open_index
from service.settings import Settings


class SearchEngine:
    def __init__(self, embedder: Embedder, index: VectorIndex, retrieval: RetrievalSettings) -> None:
        self.embedder = embedder
        self.index = index
        self.indexer = CaseIndexer(embedder, index)
        self.retriever = Retriever(embedder, index, retrieval)

    @classmethod
    def open(cls, settings: Settings) -> SearchEngine:
        """Load the model, then open (or create) the index built with it.

        Raises IndexModelMismatch when the index was built by another model (run `retex reindex`)
        and IndexLockedError when another process holds the embedded index."""
        embedder = load_embedder(settings.model, settings.data_dir, precision=settings.embedding_precision)
        index = open_index(
            passages_spec(embedder),
            path=settings.resolved_index_path,
            url=settings.qdrant_url,
            api_key=settings.qdrant_api_key,
        )
        return cls(embedder, index, RetrievalSettings(fusion=settings.search_fusion))

    def close(self) -> None:
        self.index.close()
