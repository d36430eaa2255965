"""The search engine of one process: the embedding model, the passage index and its retriever, and the
collections of the other searchable kinds (discussions, events, public selections)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path

from threadpoolctl import threadpool_limits

from indexing.case_index import (
    EVIDENCE_FIELDS,
    HIT_FIELDS,
    CaseIndexer,
    SecondOpinion,
    passages_spec,
    second_spec,
)
from indexing.document_index import DOCUMENT_KINDS, EVENTS, SELECTIONS, THREADS, DocumentIndexer, DocumentKind
from indexing.embedder import PACKAGED_E5, Embedder, load_embedder
from indexing.index_types import CollectionSpec, IndexCorruptError
from indexing.outside_corpus import OutsideCorpus
from indexing.outside_corpus import load as load_outside
from indexing.retrieval import RetrievalSettings, Retriever
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
        second: SecondOpinion | None = None,
        documents: Mapping[DocumentKind, VectorIndex] | None = None,
        outside: OutsideCorpus | None = None,
    ) -> None:
        # Request time (searches, similar cases, duplicate checks, discussions): every embedding, by
        # either encoder, holds one of the bounded slots (429 when busy). The index worker (`indexer`,
        # `indexers`) embeds through the unbounded ones: its work must not be refused.
        self.embedder: Embedder = BoundedEmbedder(embedder)
        self.index = index
        self.second = SecondOpinion(BoundedEmbedder(second.embedder), second.index) if second else None
        self.indexer = CaseIndexer(embedder, index, second)
        self.retriever = Retriever(self.embedder, index, retrieval, second=self.second, outside=outside)
        # Started by open() (warm_up); an engine built by hand (tests) leaves the memory to fill as it goes.
        self._stop_warming = threading.Event()
        self._warming = threading.Thread(target=self.warm_up, name="index-warm-up", daemon=True)
        # One point per document, each kind in a collection of its own (indexing/document_index.py); a
        # kind whose collection is not open is absent.
        self.document_indexes: dict[DocumentKind, VectorIndex] = dict(documents or {})
        self.indexers = {k: DocumentIndexer(embedder, i, k) for k, i in self.document_indexes.items()}
        self.searchers = {k: DocumentIndexer(self.embedder, i, k) for k, i in self.document_indexes.items()}
        self.thread_indexer = self.indexers.get(THREADS)
        self.thread_searcher = self.searchers.get(THREADS)
        self.event_indexer = self.indexers.get(EVENTS)
        self.event_searcher = self.searchers.get(EVENTS)
        self.collection_indexer = self.indexers.get(SELECTIONS)
        self.collection_searcher = self.searchers.get(SELECTIONS)
        # Where a damaged embedded index was moved at start-up (it is then rebuilt from the DB).
        self.damaged_index_moved_to: Path | None = None

    @classmethod
    def open(cls, settings: Settings) -> SearchEngine:
        """Load the model, then open (or create) the index built with it.

        A damaged embedded index is moved aside and replaced by an empty one, which start-up then
        fills from the database. Raises IndexModelMismatch when the index was built by another model
        (run `retex reindex`) and IndexLockedError when another process holds the embedded index."""
        # One BLAS thread per numpy call in a serving process: concurrent requests are its parallelism.
        # OpenBLAS's own threads spin between calls and starved the requests (a search's small products
        # over the outside titles cost 75 ms of CPU instead of 30 with two of them, 8 clients on 2 cores).
        threadpool_limits(1, user_api="blas")
        embedder = load_embedder(
            settings.model,
            settings.data_dir,
            precision=settings.embedding_precision,
            backend=settings.embedding_backend,
        )

        def open_collection(spec: CollectionSpec) -> VectorIndex:
            return open_index(
                spec,
                **settings.index_location(),
                shards=settings.qdrant_shards,
                replicas=settings.qdrant_replication_factor,
            )

        moved: Path | None = None

        def open_or_rebuild(spec: CollectionSpec) -> VectorIndex:
            nonlocal moved
            try:
                return open_collection(spec)
            except IndexCorruptError as exc:
                moved = quarantine_index(spec.name, **settings.index_location())
                log.error("%s: moved to %s, rebuilding it from the database", exc, moved)
                return open_collection(spec)

        with ExitStack() as opened:  # on failure, close what was opened so far
            index = open_or_rebuild(passages_spec(embedder))
            opened.callback(index.close)
            documents: dict[DocumentKind, VectorIndex] = {}
            for kind in DOCUMENT_KINDS:
                documents[kind] = open_or_rebuild(kind.spec(embedder))
                opened.callback(documents[kind].close)
            second = _open_second(settings, index, open_or_rebuild)
            opened.pop_all()
        retrieval = RetrievalSettings(ranking=settings.search_ranking, fusion=settings.search_fusion)
        # The near-miss gate's outside titles, embedded at install by the second encoder (memory-mapped).
        outside = load_outside(settings.data_dir, [second.embedder.model_name]) if second else None
        engine = cls(embedder, index, retrieval, second, documents, outside)
        engine.damaged_index_moved_to = moved
        engine._warming.start()
        return engine

    def warm_up(self) -> None:
        """Read into memory the passage fields every search ranks with (and those of the results), so
        the first searches of a fresh process cost what the later ones do. Derived data: a failure
        (the index closed meanwhile) only leaves the memory to fill as searches go."""
        try:
            self.index.warm_payloads(EVIDENCE_FIELDS, self._stop_warming)
            self.index.warm_payloads(HIT_FIELDS, self._stop_warming)
            if self.second is not None:
                self.second.index.warm_payloads(EVIDENCE_FIELDS, self._stop_warming)
        except Exception:
            log.debug("index warm-up stopped", exc_info=True)

    def close(self) -> None:
        # The warm-up reads the indexes page by page: let it stop before they close under it.
        self._stop_warming.set()
        if self._warming.is_alive():
            self._warming.join()
        self.index.close()
        if self.second is not None:
            self.second.index.close()
        for index in self.document_indexes.values():
            index.close()


def _open_second(
    settings: Settings, index: VectorIndex, open_or_rebuild: Callable[[CollectionSpec], VectorIndex]
) -> SecondOpinion | None:
    """The second encoder (USE) and its collection, when the settings ask for it."""
    use_second = settings.second_encoder == "use" or (
        settings.second_encoder == "auto" and settings.model == PACKAGED_E5
    )
    if not use_second:
        return None
    from indexing.second_encoder import UseEmbedder

    second_embedder = UseEmbedder()
    second_index = open_or_rebuild(second_spec(second_embedder))
    if second_index.count() == 0 and index.count() > 0:
        # Built before the second encoder existed: ranking without it beats ranking with an empty
        # collection. `retex reindex` fills it.
        log.warning(
            "collection %s is empty: run `retex reindex` to use it", second_spec(second_embedder).name
        )
        second_index.close()
        return None
    return SecondOpinion(second_embedder, second_index)
