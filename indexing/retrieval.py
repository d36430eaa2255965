"""Query -> ranked cases.

The default ranking is calibrated (indexing/relevance.py): one dense and one lexical query over the
passages (ids, scores and filter fields only), evidence aggregated per case, a logistic model per
language group turns it into a probability of relevance that ranks the cases and floors them.
Dense search is exact while the collection is small (`exact_up_to` passages), and ties are broken by
case id, so the same query on the same data gives the same cases in the same order and the same total
on every call. Above that size brute force costs more than the rest of a search (100,000 passages:
12 ms for e5 and 19 ms for USE per query, against 0.3 and 0.6 ms through the HNSW graph), so the
graph answers: the same query on the same index still gets the same candidates.

Collections with one point per document (discussions, events) are searched by `search_whole_documents`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from indexing.case_index import EVIDENCE_FIELDS, HIT_FIELDS, SecondOpinion
from indexing.embedder import Embedder
from indexing.index_types import FieldFilter, Fusion, Hit, SearchMode
from indexing.outside_corpus import OutsideCorpus
from indexing.query_language import detect_language
from indexing.relevance import RelevanceModel, case_evidence, load_model
from indexing.sparse import encode_query
from indexing.vector_index import VectorIndex

Ranking = Literal["calibrated", "fused"]
SIZE_TTL = 30.0  # seconds between two reads of the collection's size
ENCODER_THREADS = 8  # second-encoder queries at once; the request-time embedding slots bound them anyway


@dataclass
class CaseHit:
    case_id: int
    score: float  # calibrated ranking: probability that the case answers the query (0 to 1)
    best: Hit  # the best passage: point id, section and filter fields (no text)
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RetrievalSettings:
    ranking: Ranking = "calibrated"
    fusion: Fusion = "dbsf"  # ranking="fused" only (the ranking before calibration)
    candidates: int = 200  # passages fetched per signal before grouping by case
    prefetch: int = 200  # per branch of the fused hybrid query
    exact: bool = True  # brute-force dense search (identical candidates on every call) ...
    exact_up_to: int = 20_000  # ... while the collection holds at most this many passages
    floor: float | None = None  # None: the model's floor; 0.0 keeps every candidate


class Retriever:
    def __init__(
        self,
        embedder: Embedder,
        index: VectorIndex,
        settings: RetrievalSettings | None = None,
        model: RelevanceModel | None = None,
        second: SecondOpinion | None = None,
        outside: OutsideCorpus | None = None,
    ) -> None:
        self.embedder = embedder
        self.index = index
        self.second = second
        self.outside = outside or OutsideCorpus({})  # the near-miss gate's outside titles
        self.settings = settings or RetrievalSettings()
        self._model = model
        self._small, self._size_checked = True, -SIZE_TTL  # see _exact()
        self._encoders = ThreadPoolExecutor(max_workers=ENCODER_THREADS, thread_name_prefix="second-encoder")

    @property
    def model(self) -> RelevanceModel:
        if self._model is None:  # read once, on the first calibrated search
            self._model = load_model()
        return self._model

    def _exact(self) -> bool:
        """Brute force or the HNSW graph. The size is read again every SIZE_TTL seconds (an exact
        count of a large collection costs 5 ms); a stale answer only changes the speed."""
        if not self.settings.exact:
            return False
        now = time.monotonic()
        if now - self._size_checked >= SIZE_TTL:
            self._small = self.index.count() <= self.settings.exact_up_to
            self._size_checked = now
        return self._small

    def search(self, query: str, *, flt: FieldFilter | None, mode: SearchMode = "hybrid") -> list[CaseHit]:
        """The cases that answer the query, best first (one entry per case).

        hybrid: calibrated and floored (or the fused ranking, per settings); dense / lexical:
        one signal alone, every candidate case (diagnostics)."""
        s = self.settings
        if mode == "hybrid" and s.ranking == "calibrated":
            return self._calibrated(query, flt)
        dense = self.embedder.embed_query(query) if mode != "lexical" else None
        sparse = encode_query(query) if mode != "dense" else None
        exact = self._exact()
        hits = self.index.query(
            dense=dense,
            sparse=sparse,
            flt=flt,
            limit=s.candidates,
            mode=mode,
            fusion=s.fusion,
            prefetch_limit=s.prefetch,
            payload_fields=HIT_FIELDS,
            exact=exact,
        )
        return group_by_case(hits)

    def _calibrated(self, query: str, flt: FieldFilter | None) -> list[CaseHit]:
        s = self.settings
        # The second encoder starts first, on a thread of its own: the e5 model releases the
        # interpreter lock while it runs, so the two encodings overlap and a search waits for the
        # slower one only (one client: about 2.5 ms less per search).
        second = self.second
        second_vector = self._encoders.submit(second.embedder.embed_query, query) if second else None
        sparse = encode_query(query)
        exact = self._exact()  # the second collection holds the same passages
        dense_hits = self.index.query(
            dense=self.embedder.embed_query(query),
            sparse=None,
            flt=flt,
            limit=s.candidates,
            mode="dense",
            payload_fields=EVIDENCE_FIELDS,
            exact=exact,
        )
        lexical_hits = (
            self.index.query(
                dense=None,
                sparse=sparse,
                flt=flt,
                limit=s.candidates,
                mode="lexical",
                payload_fields=EVIDENCE_FIELDS,
                exact=exact,
            )
            if sparse.indices
            else []
        )
        second_query = second_vector.result() if second_vector is not None else None
        second_hits = (
            second.index.query(
                dense=second_query,
                sparse=None,
                flt=flt,
                limit=s.candidates,
                mode="dense",
                payload_fields=EVIDENCE_FIELDS,
                exact=exact,
            )
            if second is not None
            else None
        )
        evidence = case_evidence(dense_hits, lexical_hits, len(sparse.indices), second_hits)
        if not evidence.case_ids:
            return []
        model = self.model
        language = detect_language(query)
        probabilities = model.probabilities(evidence.matrix, language.group)
        # The floor is calibrated for one encoder's scores; with another (the tests' fake) the
        # probabilities still rank but mean nothing absolute: keep every candidate.
        calibrated = model.dense_model == self.embedder.model_name
        floor = (model.floor if calibrated else 0.0) if s.floor is None else s.floor
        signals: dict[str, float] = {}
        if floor > 0 and second is not None:
            # One matrix-vector product over the outside titles, with the query vector computed above.
            name = second.embedder.model_name
            signals["second_outside"] = self.outside.best_cosine(name, second_query)
        if floor > 0 and not model.answerable(evidence, probabilities, language.lang, signals):
            return []
        kept = [
            (case_id, hit, float(p))
            for case_id, hit, p in zip(evidence.case_ids, evidence.best, probabilities, strict=True)
            if p >= floor
        ]
        point_ids = [hit.point_id for _, hit, _ in kept]
        fields = self.index.retrieve_payloads(point_ids, HIT_FIELDS) if kept else {}
        ranked = []
        for case_id, hit, p in kept:
            payload = fields.get(hit.point_id) or hit.payload  # gone meanwhile: the evidence's fields
            best = Hit(hit.point_id, hit.score, payload)
            ranked.append(CaseHit(case_id=case_id, score=p, best=best, payload=payload))
        ranked.sort(key=lambda h: (-h.score, h.case_id))
        return ranked


def group_by_case(hits: list[Hit]) -> list[CaseHit]:
    """One entry per case, at its best passage; equal scores in case-id order."""
    grouped: dict[int, CaseHit] = {}
    for hit in hits:  # hits come best first
        case_id = int(hit.payload["case_id"])
        if case_id not in grouped:
            grouped[case_id] = CaseHit(case_id=case_id, score=hit.score, best=hit, payload=hit.payload)
    return sorted(grouped.values(), key=lambda h: (-h.score, h.case_id))


def search_whole_documents(
    embedder: Embedder,
    index: VectorIndex,
    query: str,
    *,
    limit: int,
    mode: SearchMode,
    payload_fields: Sequence[str] | None = None,
) -> list[Hit]:
    """Hybrid search of a collection with one point per document (threads, events): no filter,
    DBSF fusion of the dense and lexical signals; `payload_fields` None: every field."""
    dense = embedder.embed_query(query) if mode != "lexical" else None
    sparse = encode_query(query) if mode != "dense" else None
    return index.query(
        dense=dense,
        sparse=sparse,
        flt=None,
        limit=limit,
        mode=mode,
        fusion="dbsf",
        prefetch_limit=max(50, limit * 5),
        payload_fields=payload_fields,
    )
