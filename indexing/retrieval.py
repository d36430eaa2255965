"""Query -> ranked cases: one hybrid query over passages, grouped by case (best passage first)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from indexing.embedder import Embedder
from indexing.index_types import FieldFilter, Fusion, Hit, SearchMode
from indexing.sparse import encode_query
from indexing.vector_index import VectorIndex


@dataclass
class CaseHit:
    case_id: int
    score: float
    best: Hit  # the best-scoring passage: its text becomes the snippet
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RetrievalSettings:
    fusion: Fusion = "dbsf"  # measured better than RRF on the dev set, above all for English queries
    candidates: int = 200  # passages fetched before grouping by case
    prefetch: int = 200  # per branch of the hybrid query


# What candidates bring back: ids, scores and the filter fields, never the passage text (fetched for the
# page shown only: VectorIndex.retrieve_payloads).
CANDIDATE_FIELDS = (
    "case_id",
    "section",
    "themes",
    "territory_codes",
    "territory_kinds",
    "departements",
    "regions",
    "population_bands",
    "status",
    "year",
)


class Retriever:
    def __init__(
        self, embedder: Embedder, index: VectorIndex, settings: RetrievalSettings | None = None
    ) -> None:
        self.embedder = embedder
        self.index = index
        self.settings = settings or RetrievalSettings()

    def search(self, query: str, *, flt: FieldFilter | None, mode: SearchMode = "hybrid") -> list[CaseHit]:
        """Every case among the best passages, best first (one entry per case)."""
        dense = self.embedder.embed_query(query) if mode != "lexical" else None
        sparse = encode_query(query) if mode != "dense" else None
        hits = self.index.query(
            dense=dense,
            sparse=sparse,
            flt=flt,
            limit=self.settings.candidates,
            mode=mode,
            fusion=self.settings.fusion,
            prefetch_limit=self.settings.prefetch,
            payload_fields=CANDIDATE_FIELDS,
        )
        return group_by_case(hits)


def group_by_case(hits: list[Hit]) -> list[CaseHit]:
    grouped: dict[int, CaseHit] = {}
    for hit in hits:  # hits come best first
        case_id = int(hit.payload["case_id"])
        if case_id not in grouped:
            grouped[case_id] = CaseHit(case_id=case_id, score=hit.score, best=hit, payload=hit.payload)
    return list(grouped.values())
