"""`retex eval`: index a BEIR-layout set with the production code path, then score the rankings."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from indexing.case_index import CaseIndexer, passages_spec
from indexing.documents import CaseDocument
from indexing.embedder import Embedder
from indexing.evaluation import EvalReport, evaluate, load_corpus, load_qrels, load_queries
from indexing.index_types import FieldFilter, SearchMode
from indexing.retrieval import RetrievalSettings, Retriever
from indexing.vector_index import open_index

BATCH = 64


def run_eval(
    *,
    corpus: Path,
    queries: Path,
    qrels: Path,
    embedder: Embedder,
    modes: tuple[SearchMode, ...] = ("hybrid",),
    settings: RetrievalSettings | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[SearchMode, EvalReport]:
    """Index the corpus once into a temporary embedded index; evaluate each mode on it."""
    docs = load_corpus(corpus)
    query_list = load_queries(queries)
    judgements = load_qrels(qrels)
    ids = [d._id for d in docs]  # corpus ids are strings; the index keys cases by integer
    reports: dict[SearchMode, EvalReport] = {}
    with (
        tempfile.TemporaryDirectory(prefix="retex-eval-") as tmp,
        open_index(passages_spec(embedder), path=Path(tmp)) as index,
    ):
        indexer = CaseIndexer(embedder, index)
        for start in range(0, len(docs), BATCH):
            batch = [
                CaseDocument(
                    case_id=start + i,
                    title=d.title,
                    summary="",
                    sections={"context": d.text},
                    payload={"publication_state": "published"},
                )
                for i, d in enumerate(docs[start : start + BATCH])
            ]
            indexer.index_cases(batch)
            if on_progress:
                on_progress(min(start + BATCH, len(docs)), len(docs))
        retriever = Retriever(embedder, index, settings)
        published = FieldFilter(any_of={"publication_state": ["published"]})
        for mode in modes:
            run = {
                q.id: [ids[hit.case_id] for hit in retriever.search(q.text, flt=published, mode=mode)[:10]]
                for q in query_list
            }
            reports[mode] = evaluate(run, judgements, query_list)
    return reports
