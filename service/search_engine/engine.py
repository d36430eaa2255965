"""The search engine of one process: the embedding model, the passage index and its retriever."""

from __future__ import annotations

import logging
from pathlib import Path

from indexing.case_index import CaseIndexer, SecondOpinion, passages_spec, second_spec
from indexing.document_index import DocumentIndexer, selection_indexer, selections_spec
from indexing.embedder import PACKAGED_E5, Embedder, load_embedder
from indexing.event_index import EventIndexer, events_spec
from indexing.index_types import CollectionSpec, IndexCorruptError
from indexing.retrieval import RetrievalSettings, Retriever
from indexing.thread_index import ThreadIndexer, threads_spec
from indexing.vector_index import VectorIndex, open_index, quarantine_index
from service.search_engine.embedding_slots import BoundedEmbedder
from service.settings import Settings

log = logging.getLogger(__name__)


class SearchEngine:
    def __init__(
        self,
        embedder: Embedder,
        index: VectorIndex,
        retrieval: RetrievalSettings,
        thread_index: VectorIndex | None = None,
        second: SecondOpinion | None = None,
        event_index: VectorIndex | None = None,
        collection_index: VectorIndex | None = None,
    ) -> None:
        # Request time (searches, similar cases, duplicate checks, discussions): every embedding, by
        # either encoder, holds one of the bounded slots (429 when busy). The index worker (`indexer`,
        # `thread_indexer`) embeds through the unbounded ones: its work must not be refused.
        self.embedder: Embedder = BoundedEmbedder(embedder)
        self.index = index
        self.second = SecondOpinion(BoundedEmbedder(second.embedder), second.index) if second else None
        self.indexer = CaseIndexer(embedder, index, second)
        self.retriever = Retriever(self.embedder, index, retrieval, second=self.second)
        # Discussions live in a collection of their own (indexing/thread_index.py).
        self.thread_index = thread_index
        self.thread_indexer = ThreadIndexer(embedder, thread_index) if thread_index is not None else None
        # Events too (indexing/event_index.py).
        self.event_index = event_index
        self.event_indexer = EventIndexer(embedder, event_index) if event_index is not None else None
        # Searching them embeds the query at request time: through the bounded embedder.
        self.thread_searcher = (
            ThreadIndexer(self.embedder, thread_index) if thread_index is not None else None
        )
        self.event_searcher = EventIndexer(self.embedder, event_index) if event_index is not None else None
        # Public curated selections too (indexing/document_index.py).
        self.collection_index = collection_index
        self.collection_indexer: DocumentIndexer | None = None
        self.collection_searcher: DocumentIndexer | None = None
        if collection_index is not None:
            self.collection_indexer = selection_indexer(embedder, collection_index)
            self.collection_searcher = selection_indexer(self.embedder, collection_index)
        # Where a damaged embedded index was moved at start-up (it is then rebuilt from the DB).
        self.damaged_index_moved_to: Path | None = None

    @classmethod
    def open(cls, settings: Settings) -> SearchEngine:
        """Load the model, then open (or create) the index built with it.

        A damaged embedded index is moved aside and replaced by an empty one, which start-up then
        fills from the database. Raises IndexModelMismatch when the index was built by another model
        (run `retex reindex`) and IndexLockedError when another process holds the embedded index."""
        embedder = load_embedder(
            settings.model,
            settings.data_dir,
            precision=settings.embedding_precision,
            backend=settings.embedding_backend,
        )

        def open_collection(spec: CollectionSpec) -> VectorIndex:
            return open_index(
                spec,
                path=settings.resolved_index_path,
                url=settings.qdrant_url,
                api_key=settings.qdrant_api_key,
                shards=settings.qdrant_shards,
                replicas=settings.qdrant_replication_factor,
            )

        moved: Path | None = None

        def open_or_rebuild(spec: CollectionSpec) -> VectorIndex:
            nonlocal moved
            try:
                return open_collection(spec)
            except IndexCorruptError as exc:
                moved = quarantine_index(spec.name, path=settings.resolved_index_path)
                log.error("%s: moved to %s, rebuilding it from the database", exc, moved)
                return open_collection(spec)

        index = open_or_rebuild(passages_spec(embedder))
        try:
            threads = open_or_rebuild(threads_spec(embedder))
        except BaseException:
            index.close()
            raise
        try:
            events = open_or_rebuild(events_spec(embedder))
        except BaseException:
            index.close()
            threads.close()
            raise
        try:
            selections = open_or_rebuild(selections_spec(embedder))
        except BaseException:
            index.close()
            threads.close()
            events.close()
            raise
        second: SecondOpinion | None = None
        use_second = settings.second_encoder == "use" or (
            settings.second_encoder == "auto" and settings.model == PACKAGED_E5
        )
        if use_second:
            from indexing.second_encoder import UseEmbedder

            second_embedder = UseEmbedder()
            try:
                second_index = open_or_rebuild(second_spec(second_embedder))
            except BaseException:
                index.close()
                threads.close()
                events.close()
                selections.close()
                raise
            if second_index.count() == 0 and index.count() > 0:
                # Built before the second encoder existed: ranking without it beats ranking with an
                # empty collection. `retex reindex` fills it.
                log.warning(
                    "collection %s is empty: run `retex reindex` to use it", second_spec(second_embedder).name
                )
                second_index.close()
            else:
                second = SecondOpinion(second_embedder, second_index)
        retrieval = RetrievalSettings(ranking=settings.search_ranking, fusion=settings.search_fusion)
        engine = cls(embedder, index, retrieval, threads, second, events, selections)
        engine.damaged_index_moved_to = moved
        return engine

    def close(self) -> None:
        self.index.close()
        if self.second is not None:
            self.second.index.close()
        if self.thread_index is not None:
            self.thread_index.close()
        if self.event_index is not None:
            self.event_index.close()
        if self.collection_index is not None:
            self.collection_index.close()
