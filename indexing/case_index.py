"""Keeps the passage collection in step with case documents: embed, upsert, drop stale passages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from indexing.documents import CaseDocument, Passage, split_passages
from indexing.embedder import Embedder
from indexing.index_types import CollectionSpec, FieldFilter, IndexPoint, stable_point_id
from indexing.sparse import encode_document
from indexing.vector_index import VectorIndex

PASSAGES_COLLECTION = "passages"
SECOND_COLLECTION = "passages_use"  # the same passages embedded by the second encoder
KEYWORD_FIELDS = (
    "kind",
    "section",
    "themes",
    "territory_codes",
    "territory_kinds",
    "departements",
    "regions",
    "population_bands",
    "status",
    "publication_state",
    "distinctions",
)
# passage: counting passage 0 counts the indexed cases (health check) without a scroll.
INTEGER_FIELDS = ("case_id", "year", "passage")
# What a search reads of each candidate passage: ids, section, size and filter fields, never text.
HIT_FIELDS = ("case_id", "passage", "section", "words", "year", *KEYWORD_FIELDS)
# What the calibrated ranking reads of each of its ~600 candidates (indexing/relevance.py): turning
# every filter field of every candidate into Python was a fifth of a search's CPU; the results' own
# HIT_FIELDS are fetched afterwards, for the cases kept only.
EVIDENCE_FIELDS = ("case_id", "passage", "words")


def passages_spec(embedder: Embedder) -> CollectionSpec:
    return CollectionSpec(
        name=PASSAGES_COLLECTION,
        dimension=embedder.dimension,
        sparse=True,
        model_name=embedder.model_name,
        keyword_fields=KEYWORD_FIELDS,
        integer_fields=INTEGER_FIELDS,
    )


def second_spec(embedder: Embedder) -> CollectionSpec:
    """Dense only (the lexical signal lives in `passages`), same filter fields and point ids."""
    return CollectionSpec(
        name=SECOND_COLLECTION,
        dimension=embedder.dimension,
        sparse=False,
        model_name=embedder.model_name,
        keyword_fields=KEYWORD_FIELDS,
        integer_fields=INTEGER_FIELDS,
    )


@dataclass(frozen=True)
class SecondOpinion:
    """A second encoder and its own passage collection (indexing/second_encoder.py)."""

    embedder: Embedder
    index: VectorIndex


def passage_point_id(case_id: int, ordinal: int) -> str:
    return stable_point_id("case", case_id, ordinal)


class CaseIndexer:
    def __init__(self, embedder: Embedder, index: VectorIndex, second: SecondOpinion | None = None) -> None:
        self.embedder = embedder
        self.index = index
        self.second = second

    def index_cases(self, docs: Sequence[CaseDocument]) -> int:
        """Upsert the passages of each case, then delete its passages beyond the new count.

        Point ids are stable (case id, ordinal), so replaying the same job after a crash
        rewrites the same points: a case is never indexed twice. Returns passages written."""
        if not docs:
            return 0
        passages: list[Passage] = [p for doc in docs for p in split_passages(doc)]
        vectors = self.embedder.embed_passages([p.text for p in passages])
        by_case = {doc.case_id: doc for doc in docs}
        points = [
            IndexPoint(
                point_id=passage_point_id(p.case_id, p.ordinal),
                dense=vectors[i],
                sparse=encode_document(p.text),
                payload={
                    **by_case[p.case_id].payload,
                    "kind": "case",
                    "case_id": p.case_id,
                    "passage": p.ordinal,
                    "section": p.section,
                    "words": len(p.text.split()),  # near-empty pages are ranked with care
                    "text": p.text,
                },
            )
            for i, p in enumerate(passages)
        ]
        self.index.upsert(points)
        if self.second is not None:
            second_vectors = self.second.embedder.embed_passages([p.text for p in passages])
            self.second.index.upsert(
                [
                    IndexPoint(
                        point_id=point.point_id,
                        dense=second_vectors[i],
                        sparse=None,
                        payload={k: v for k, v in point.payload.items() if k != "text"},
                    )
                    for i, point in enumerate(points)
                ]
            )
        counts: dict[int, int] = {}
        for p in passages:
            counts[p.case_id] = counts.get(p.case_id, 0) + 1
        for case_id, n in counts.items():
            stale = [
                pid
                for pid, payload in self.index.scroll_payloads(
                    ["passage"], FieldFilter(any_of={"case_id": [case_id]})
                )
                if int(payload.get("passage", 0)) >= n
            ]
            if stale:
                self.index.delete_ids(stale)
                if self.second is not None:
                    self.second.index.delete_ids(stale)
        return len(points)

    def remove_cases(self, case_ids: Sequence[int]) -> None:
        if case_ids:
            self.index.delete_where(FieldFilter(any_of={"case_id": list(case_ids)}))
            if self.second is not None:
                self.second.index.delete_where(FieldFilter(any_of={"case_id": list(case_ids)}))
