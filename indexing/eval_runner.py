"""`retex eval`: index a BEIR-layout set with the production code path, then score the rankings."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from indexing.case_index import CaseIndexer, SecondOpinion, passages_spec, second_spec
from indexing.documents import CaseDocument
from indexing.embedder import Embedder
from indexing.evaluation import CorpusDoc, EvalReport, evaluate, load_corpus, load_qrels, load_queries
from indexing.index_types import FieldFilter, SearchMode
from indexing.outside_corpus import OutsideCorpus
from indexing.retrieval import RetrievalSettings, Retriever
from indexing.vector_index import open_index

BATCH = 64
SUMMARY_MAX_WORDS = 80
_PARAGRAPH = re.compile(r"\n\s*\n")


def split_summary(text: str) -> tuple[str, str]:
    """(summary, body): a short first paragraph is the summary, as a case's summary is."""
    parts = _PARAGRAPH.split(text.strip(), maxsplit=1)
    first = parts[0].strip()
    if len(parts) < 2 or len(first.split()) > SUMMARY_MAX_WORDS:
        return "", text.strip()
    return first, parts[1].strip()


def corpus_documents(docs: Sequence[CorpusDoc]) -> list[CaseDocument]:
    """BEIR documents as case documents (case id = position in the corpus). A beta.gouv.fr fiche
    starts with its one-paragraph mission: it becomes the summary, so passage 0 is title +
    summary as for a real case, not a title alone."""
    out: list[CaseDocument] = []
    for i, d in enumerate(docs):
        summary, body = split_summary(d.text)
        out.append(
            CaseDocument(
                case_id=i,
                title=d.title,
                summary=summary,
                sections={"context": body} if body else {},
                payload={"publication_state": "published"},
            )
        )
    return out


# Named configurations of the search, for `retex eval --config` / `--compare`.
CONFIGS: dict[str, tuple[SearchMode, RetrievalSettings]] = {
    "calibrated": ("hybrid", RetrievalSettings()),  # the product's ranking
    "calibrated-unfloored": ("hybrid", RetrievalSettings(floor=0.0)),
    "fused": ("hybrid", RetrievalSettings(ranking="fused", fusion="dbsf", exact=False)),  # before issue 13
    "fused-rrf": ("hybrid", RetrievalSettings(ranking="fused", fusion="rrf", exact=False)),
    "dense": ("dense", RetrievalSettings()),
    "lexical": ("lexical", RetrievalSettings()),
}
# `--mode` (older interface) names a configuration.
MODE_CONFIGS: dict[str, str] = {"hybrid": "calibrated", "dense": "dense", "lexical": "lexical"}


def run_eval(
    *,
    corpus: Path,
    queries: Path,
    qrels: Path,
    embedder: Embedder,
    configs: Sequence[str] = ("calibrated",),
    second: Embedder | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    outside: OutsideCorpus | None = None,
) -> dict[str, EvalReport]:
    """Index the corpus once into a temporary embedded index; evaluate each configuration on it.

    A run keeps every result a configuration returns (so a floored ranking can answer with
    nothing); the metrics read its first 10."""
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        raise ValueError(f"unknown configuration(s) {unknown}; known: {sorted(CONFIGS)}")
    docs = load_corpus(corpus)
    query_list = load_queries(queries)
    judgements = load_qrels(qrels)
    ids = [d._id for d in docs]  # corpus ids are strings; the index keys cases by integer
    reports: dict[str, EvalReport] = {}
    with (
        tempfile.TemporaryDirectory(prefix="retex-eval-") as tmp,
        open_index(passages_spec(embedder), path=Path(tmp)) as index,
        open_index(second_spec(second or embedder), path=Path(tmp)) as second_index,
    ):
        opinion = SecondOpinion(second, second_index) if second is not None else None
        indexer = CaseIndexer(embedder, index, opinion)
        case_docs = corpus_documents(docs)
        for start in range(0, len(case_docs), BATCH):
            indexer.index_cases(case_docs[start : start + BATCH])
            if on_progress:
                on_progress(min(start + BATCH, len(docs)), len(docs))
        published = FieldFilter(any_of={"publication_state": ["published"]})
        for name in configs:
            mode, settings = CONFIGS[name]
            retriever = Retriever(embedder, index, settings, second=opinion, outside=outside)
            run = {
                q.id: [ids[hit.case_id] for hit in retriever.search(q.text, flt=published, mode=mode)]
                for q in query_list
            }
            reports[name] = evaluate(run, judgements, query_list)
    return reports
