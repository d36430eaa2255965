"""PostgreSQL full-text search (`french` configuration, as the Decidim and CONSUL platforms use through
pg_search) against Retex's hybrid search, on the same dev-set corpus and queries, in the same run:
nDCG@10 / recall@10 / MRR@10 (all, French, English) and per-query latency.

Usage:
  python -m bench.fts_vs_retex --database-url postgresql+psycopg://postgres@127.0.0.1:5432/retex_fts \
      --model packaged:multilingual-e5-small

The database gets a table `fts_docs` (dropped and recreated): title (weight A) and text (weight B) in a
stored tsvector column with a GIN index. Three ways of turning a typed need into a tsquery:
  fts-and-prefix  every word required, prefix match (pg_search's `tsearch: {prefix: true}`)
  fts-and         every word required (plainto_tsquery)
  fts-or          any word (the lexemes of plainto_tsquery joined by |), ranked by ts_rank_cd
Retex: the dev-set corpus indexed into a temporary embedded index by the production code (passages,
dense + French lexical, DBSF fusion), searched with `Retriever.search` (query embedding included). Each
query is timed once cold (its vector is not cached) and FTS queries are timed over --passes passes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, text  # noqa: E402

from indexing.evaluation import EvalReport, evaluate, load_corpus, load_qrels, load_queries  # noqa: E402

DEVSET = ROOT / "bench" / "devset"
TOP_K = 10

FTS_QUERIES = {
    "fts-and-prefix": "SELECT string_agg(quote_literal(w) || ':*', ' & ') FROM "
    "unnest(tsvector_to_array(to_tsvector('french', :q))) AS w",
    "fts-and": "SELECT plainto_tsquery('french', :q)::text",
    "fts-or": "SELECT replace(plainto_tsquery('french', :q)::text, ' & ', ' | ')",
}
RANKED = (
    "SELECT id FROM fts_docs WHERE tsv @@ CAST(:tsq AS tsquery) "
    "ORDER BY ts_rank_cd(tsv, CAST(:tsq AS tsquery)) DESC, id LIMIT :k"
)


def build_corpus(tmp: Path) -> Path:
    out = tmp / "corpus.jsonl"
    subprocess.run(
        [sys.executable, str(DEVSET / "build_corpus.py"), str(out)], check=True, capture_output=True
    )
    return out


def load_fts(engine: Engine, corpus: Path) -> None:
    docs = load_corpus(corpus)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS fts_docs"))
        conn.execute(
            text(
                "CREATE TABLE fts_docs (id text PRIMARY KEY, title text NOT NULL, body text NOT NULL, "
                "tsv tsvector GENERATED ALWAYS AS (setweight(to_tsvector('french', title), 'A') || "
                "setweight(to_tsvector('french', body), 'B')) STORED)"
            )
        )
        conn.execute(
            text("INSERT INTO fts_docs (id, title, body) VALUES (:id, :title, :body)"),
            [{"id": d._id, "title": d.title, "body": d.text} for d in docs],
        )
        conn.execute(text("CREATE INDEX fts_docs_tsv ON fts_docs USING gin (tsv)"))
        conn.execute(text("ANALYZE fts_docs"))


def fts_search(engine: Engine, variant: str) -> Callable[[str], list[str]]:
    def search(query: str) -> list[str]:
        with engine.connect() as conn:
            tsq = conn.scalar(text(FTS_QUERIES[variant]), {"q": query})
            if not tsq:  # nothing left once stop words are removed
                return []
            return list(conn.scalars(text(RANKED), {"tsq": tsq, "k": TOP_K}))

    return search


def retex_search(model: str, corpus: Path, index_dir: Path) -> Callable[[str], list[str]]:
    from indexing.case_index import CaseIndexer, passages_spec
    from indexing.documents import CaseDocument
    from indexing.embedder import load_embedder
    from indexing.index_types import FieldFilter
    from indexing.retrieval import RetrievalSettings, Retriever
    from indexing.vector_index import open_index

    data_dir = Path(tempfile.mkdtemp(prefix="retex-fts-data-"))
    model_dir = Path(
        os.environ.get("RETEX_TEST_MODEL_DIR", ROOT / "var" / "models" / "multilingual-e5-small")
    )
    (data_dir / "models").mkdir()
    if model_dir.exists():  # reuse the converted model instead of converting it again
        (data_dir / "models" / model_dir.name).symlink_to(model_dir.resolve(), target_is_directory=True)
    embedder = load_embedder(model, data_dir)
    docs = load_corpus(corpus)
    ids = [d._id for d in docs]
    index = open_index(passages_spec(embedder), path=index_dir)
    indexer = CaseIndexer(embedder, index)
    started = time.perf_counter()
    already = index.count() > 0  # --index-dir of an earlier run: same corpus, same model
    for start in range(0, 0 if already else len(docs), 64):
        batch = [
            CaseDocument(
                case_id=start + i,
                title=d.title,
                summary="",
                sections={"context": d.text},
                payload={"publication_state": "published"},
            )
            for i, d in enumerate(docs[start : start + 64])
        ]
        indexer.index_cases(batch)
    elapsed = time.perf_counter() - started
    done = "reused from --index-dir" if already else f"indexed in {elapsed:.0f} s"
    print(f"retex: {len(docs)} documents, {index.count()} passages {done}")
    retriever = Retriever(embedder, index, RetrievalSettings(fusion="dbsf"))
    published = FieldFilter(any_of={"publication_state": ["published"]})

    def search(query: str) -> list[str]:
        return [ids[hit.case_id] for hit in retriever.search(query, flt=published)[:TOP_K]]

    search("requête d'échauffement hors du jeu")  # one-time start-up costs are not a query's latency
    return search


def measure(search: Callable[[str], list[str]], queries: list, passes: int) -> tuple[dict, list[float]]:  # type: ignore[type-arg]
    run: dict[str, list[str]] = {}
    latencies: list[float] = []
    for _ in range(passes):
        for q in queries:
            started = time.perf_counter()
            run[q.id] = search(q.text)
            latencies.append((time.perf_counter() - started) * 1000)
    return run, latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def line(name: str, report: EvalReport, latencies: list[float], empty: int) -> str:
    fr, en = report.by_lang.get("fr"), report.by_lang.get("en")
    return (
        f"| {name} | {report.ndcg:.3f} | {fr.ndcg if fr else 0:.3f} | {en.ndcg if en else 0:.3f} | "
        f"{report.recall:.3f} | {report.mrr:.3f} | {empty} | {statistics.median(latencies):.1f} | "
        f"{percentile(latencies, 95):.1f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database (a table is created)")
    parser.add_argument("--model", default="packaged:multilingual-e5-small")
    parser.add_argument("--passes", type=int, default=5, help="timed passes over the queries (FTS)")
    parser.add_argument("--index-dir", type=Path, help="keep the Retex index here and reuse it next time")
    args = parser.parse_args()

    queries = load_queries(DEVSET / "queries.jsonl")
    qrels = load_qrels(DEVSET / "qrels.tsv")
    engine = create_engine(args.database_url)
    rows = []
    with tempfile.TemporaryDirectory(prefix="retex-fts-") as tmp:
        corpus = build_corpus(Path(tmp))
        load_fts(engine, corpus)
        for variant in FTS_QUERIES:
            run, latencies = measure(fts_search(engine, variant), queries, args.passes)
            empty = sum(not ranked for ranked in run.values())
            rows.append(line(variant, evaluate(run, qrels, queries), latencies, empty))
        search = retex_search(args.model, corpus, args.index_dir or Path(tmp) / "index")
        run, cold = measure(search, queries, 1)
        empty = sum(not ranked for ranked in run.values())
        rows.append(line(f"retex hybrid ({args.model})", evaluate(run, qrels, queries), cold, empty))
    engine.dispose()
    print(f"\n{len(queries)} queries, {len(qrels)} judged; latency in ms (FTS: {args.passes} passes; Retex: "
          "one cold pass, query embedding included)")  # fmt: skip
    print("| search | nDCG@10 | FR | EN | recall@10 | MRR@10 | queries with no result | p50 ms | p95 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(row)
    print(f"\nuptime: {os.popen('uptime').read().strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
