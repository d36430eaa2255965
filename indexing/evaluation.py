"""Retrieval evaluation: BEIR-layout loaders and ranking metrics.

Pure Python, no dependency on the service or on any search backend, so it can be
used from tests, from ``retex eval`` and from throw-away notebooks alike.

BEIR layout (https://github.com/beir-cellar/beir):

* ``corpus.jsonl``: one JSON object per line, ``{"_id", "title", "text"}``;
* ``queries.jsonl``: one JSON object per line, ``{"_id", "text"}`` plus an
  optional ``"lang"`` (Retex extension, e.g. ``"fr"`` / ``"en"``);
* ``qrels.tsv``: tab-separated, with the header ``query-id  corpus-id  score``;
  ``score`` is a non-negative integer graded relevance (0 = not relevant).

Metrics (all at cut-off ``k``, 10 by default):

* nDCG@k with graded gains ``rel`` and the standard ``1 / log2(rank + 1)``
  discount; the ideal DCG is computed from *all* the judgements of the query in
  the qrels (not only from the retrieved documents);
* recall@k: relevant documents (score > 0) retrieved in the top k, divided by
  the number of relevant documents of the query;
* MRR@k: reciprocal rank of the first relevant document in the top k, 0 if none;
* P@5: relevant documents among the first 5 results, divided by 5;
* no-answer share: among the needs flagged ``"no_answer": true`` in queries.jsonl (Retex
  extension: nothing in the corpus answers them), the share answered with an empty result list;
  its mirror ``answerable_empty`` is the share of answerable needs that got nothing.

Queries without any relevant document in the qrels are skipped from the ranking metrics (they
cannot be scored) and counted in ``EvalReport.skipped`` (no-answer needs are not counted there).
Queries that have judgements but no entry in the run count as a complete miss (all metrics 0).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CorpusDoc",
    "EvalReport",
    "MetricSet",
    "Query",
    "dcg",
    "evaluate",
    "format_comparison",
    "format_report",
    "load_corpus",
    "load_qrels",
    "load_queries",
    "mrr_at_k",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
]

Qrels = dict[str, dict[str, int]]
Run = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class CorpusDoc:
    _id: str
    title: str
    text: str


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    lang: str | None = None
    no_answer: bool = False  # judged: nothing in the corpus answers this need


# --------------------------------------------------------------------------- loaders


def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: invalid JSON: {exc.msg}") from exc
            if not isinstance(obj, dict):
                raise ValueError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
            rows.append((lineno, obj))
    return rows


def _str_field(obj: Mapping[str, Any], key: str, path: Path, lineno: int, *, required: bool = True) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            raise ValueError(f"{path}:{lineno}: missing field {key!r}")
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{path}:{lineno}: field {key!r} must be a string, got {type(value).__name__}")
    return value


def load_corpus(path: str | Path) -> list[CorpusDoc]:
    """Read a BEIR ``corpus.jsonl``. ``_id`` is required and unique; ``title``/``text`` default to ""."""
    p = Path(path)
    docs: list[CorpusDoc] = []
    seen: set[str] = set()
    for lineno, obj in _read_jsonl(p):
        doc_id = _str_field(obj, "_id", p, lineno)
        if not doc_id:
            raise ValueError(f"{p}:{lineno}: empty '_id'")
        if doc_id in seen:
            raise ValueError(f"{p}:{lineno}: duplicate _id {doc_id!r}")
        seen.add(doc_id)
        title = _str_field(obj, "title", p, lineno, required=False)
        text = _str_field(obj, "text", p, lineno, required=False)
        if not title and not text:
            raise ValueError(f"{p}:{lineno}: document {doc_id!r} has neither title nor text")
        docs.append(CorpusDoc(_id=doc_id, title=title, text=text))
    return docs


def load_queries(path: str | Path) -> list[Query]:
    """Read a BEIR ``queries.jsonl`` (``_id``, ``text`` and an optional ``lang``)."""
    p = Path(path)
    queries: list[Query] = []
    seen: set[str] = set()
    for lineno, obj in _read_jsonl(p):
        qid = _str_field(obj, "_id", p, lineno)
        if not qid:
            raise ValueError(f"{p}:{lineno}: empty '_id'")
        if qid in seen:
            raise ValueError(f"{p}:{lineno}: duplicate _id {qid!r}")
        seen.add(qid)
        text = _str_field(obj, "text", p, lineno)
        if not text.strip():
            raise ValueError(f"{p}:{lineno}: empty query text for {qid!r}")
        lang = _str_field(obj, "lang", p, lineno, required=False) or None
        no_answer = obj.get("no_answer", False)
        if not isinstance(no_answer, bool):
            raise ValueError(f"{p}:{lineno}: field 'no_answer' must be true or false")
        queries.append(Query(id=qid, text=text, lang=lang, no_answer=no_answer))
    return queries


_QRELS_HEADER = ("query-id", "corpus-id", "score")
_QRELS_HEADER_TEXT = "\t".join(_QRELS_HEADER)


def load_qrels(path: str | Path) -> Qrels:
    """Read a BEIR ``qrels.tsv`` with the header ``query-id<TAB>corpus-id<TAB>score``.

    Returns ``{query_id: {doc_id: score}}``. Rows with score 0 are kept (they are
    explicit non-relevant judgements and do not count as relevant).
    """
    p = Path(path)
    qrels: Qrels = {}
    with p.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header_seen = False
        for row in reader:
            lineno = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            cells = [cell.strip() for cell in row]
            if not header_seen:
                if tuple(cells) != _QRELS_HEADER:
                    got = "\t".join(cells)
                    raise ValueError(f"{p}:{lineno}: expected header {_QRELS_HEADER_TEXT!r}, got {got!r}")
                header_seen = True
                continue
            if len(cells) != 3:
                raise ValueError(f"{p}:{lineno}: expected 3 tab-separated columns, got {len(cells)}")
            qid, doc_id, score_s = cells
            if not qid or not doc_id:
                raise ValueError(f"{p}:{lineno}: empty query-id or corpus-id")
            try:
                score = int(score_s)
            except ValueError as exc:
                raise ValueError(f"{p}:{lineno}: score must be an integer, got {score_s!r}") from exc
            if score < 0:
                raise ValueError(f"{p}:{lineno}: score must be >= 0, got {score}")
            per_query = qrels.setdefault(qid, {})
            if doc_id in per_query:
                raise ValueError(f"{p}:{lineno}: duplicate judgement for ({qid!r}, {doc_id!r})")
            per_query[doc_id] = score
        if not header_seen:
            raise ValueError(f"{p}:1: empty qrels file (missing header {_QRELS_HEADER_TEXT!r})")
    return qrels


# --------------------------------------------------------------------------- metrics


def _dedupe(ranked: Sequence[str]) -> list[str]:
    """Keep the first occurrence of each doc id (a doc retrieved twice counts once)."""
    seen: set[str] = set()
    out: list[str] = []
    for doc_id in ranked:
        if doc_id not in seen:
            seen.add(doc_id)
            out.append(doc_id)
    return out


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain, ``sum(g_i / log2(i + 1))`` with ranks starting at 1."""
    return sum(g / math.log2(rank + 1) for rank, g in enumerate(gains, start=1) if g)


def ndcg_at_k(ranked: Sequence[str], judgements: Mapping[str, int], k: int = 10) -> float:
    ideal = sorted((s for s in judgements.values() if s > 0), reverse=True)[:k]
    idcg = dcg(ideal)
    if idcg == 0:
        return 0.0
    top = _dedupe(ranked)[:k]
    return dcg([max(judgements.get(d, 0), 0) for d in top]) / idcg


def recall_at_k(ranked: Sequence[str], judgements: Mapping[str, int], k: int = 10) -> float:
    relevant = {d for d, s in judgements.items() if s > 0}
    if not relevant:
        return 0.0
    top = _dedupe(ranked)[:k]
    return sum(1 for d in top if d in relevant) / len(relevant)


def precision_at_k(ranked: Sequence[str], judgements: Mapping[str, int], k: int = 5) -> float:
    top = _dedupe(ranked)[:k]
    return sum(1 for d in top if judgements.get(d, 0) > 0) / k


def mrr_at_k(ranked: Sequence[str], judgements: Mapping[str, int], k: int = 10) -> float:
    for rank, doc_id in enumerate(_dedupe(ranked)[:k], start=1):
        if judgements.get(doc_id, 0) > 0:
            return 1.0 / rank
    return 0.0


@dataclass
class MetricSet:
    ndcg: float = 0.0
    recall: float = 0.0
    mrr: float = 0.0
    p5: float = 0.0
    queries: int = 0
    answerable_empty: float = 0.0  # share of answerable needs answered with nothing
    no_answer_empty: float | None = None  # share of no-answer needs answered with nothing
    no_answer_queries: int = 0

    def to_dict(self, k: int = 10) -> dict[str, float | int | None]:
        return {
            f"ndcg@{k}": round(self.ndcg, 4),
            f"recall@{k}": round(self.recall, 4),
            f"mrr@{k}": round(self.mrr, 4),
            "p@5": round(self.p5, 4),
            "queries": self.queries,
            "answerable_empty": round(self.answerable_empty, 4),
            "no_answer_empty": None if self.no_answer_empty is None else round(self.no_answer_empty, 4),
            "no_answer_queries": self.no_answer_queries,
        }


@dataclass
class EvalReport:
    k: int
    overall: MetricSet
    by_lang: dict[str, MetricSet] = field(default_factory=dict)
    skipped: int = 0
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def ndcg(self) -> float:
        return self.overall.ndcg

    @property
    def recall(self) -> float:
        return self.overall.recall

    @property
    def mrr(self) -> float:
        return self.overall.mrr

    @property
    def p5(self) -> float:
        return self.overall.p5

    @property
    def queries(self) -> int:
        return self.overall.queries

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = self.overall.to_dict(self.k)
        out["skipped"] = self.skipped
        out["by_lang"] = {lang: m.to_dict(self.k) for lang, m in sorted(self.by_lang.items())}
        return out


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _aggregate(rows: Sequence[dict[str, float]], no_answer_rows: Sequence[dict[str, float]]) -> MetricSet:
    return MetricSet(
        ndcg=_mean([r["ndcg"] for r in rows]),
        recall=_mean([r["recall"] for r in rows]),
        mrr=_mean([r["mrr"] for r in rows]),
        p5=_mean([r["p@5"] for r in rows]),
        queries=len(rows),
        answerable_empty=_mean([r["empty"] for r in rows]),
        no_answer_empty=_mean([r["empty"] for r in no_answer_rows]) if no_answer_rows else None,
        no_answer_queries=len(no_answer_rows),
    )


def evaluate(
    run: Run,
    qrels: Mapping[str, Mapping[str, int]],
    queries: Sequence[Query] | None = None,
    k: int = 10,
) -> EvalReport:
    """Score a ranked ``run`` (``{query_id: [doc_id, ...]}``, best first) against ``qrels``.

    The evaluated query set is ``queries`` when given (so ``by_lang`` can be
    computed; queries without ``lang`` are grouped under ``"und"``), otherwise
    every query id present in ``qrels``. Queries without any relevant judgement
    are skipped and counted in ``skipped``.
    """
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    if queries is None:
        targets: list[tuple[str, str | None, bool]] = [(qid, None, False) for qid in qrels]
    else:
        targets = [(q.id, q.lang, q.no_answer) for q in queries]

    per_query: dict[str, dict[str, float]] = {}
    rows_by_lang: dict[str, list[dict[str, float]]] = {}
    no_answer_by_lang: dict[str, list[dict[str, float]]] = {}
    skipped = 0
    for qid, lang, no_answer in targets:
        ranked = run.get(qid, [])
        empty = 0.0 if ranked else 1.0
        if no_answer:
            row = {"empty": empty, "results": float(len(ranked)), "no_answer": 1.0}
            per_query[qid] = row
            no_answer_by_lang.setdefault(lang or "und", []).append(row)
            continue
        judgements = qrels.get(qid, {})
        if not any(s > 0 for s in judgements.values()):
            skipped += 1
            continue
        row = {
            "ndcg": ndcg_at_k(ranked, judgements, k),
            "recall": recall_at_k(ranked, judgements, k),
            "mrr": mrr_at_k(ranked, judgements, k),
            "p@5": precision_at_k(ranked, judgements, 5),
            "empty": empty,
        }
        per_query[qid] = row
        rows_by_lang.setdefault(lang or "und", []).append(row)

    answerable = [r for r in per_query.values() if "ndcg" in r]
    unanswerable = [r for r in per_query.values() if "no_answer" in r]
    langs = sorted(set(rows_by_lang) | set(no_answer_by_lang)) if queries is not None else []
    return EvalReport(
        k=k,
        overall=_aggregate(answerable, unanswerable),
        by_lang={
            lang: _aggregate(rows_by_lang.get(lang, []), no_answer_by_lang.get(lang, [])) for lang in langs
        },
        skipped=skipped,
        per_query=per_query,
    )


# --------------------------------------------------------------------------- text reports


def format_report(report: EvalReport) -> str:
    """Per-language table of a report (the `retex eval` text output)."""
    rows = [("all", report.overall), *sorted(report.by_lang.items())]
    out = [
        f"{'lang':<6}{'needs':>6}{'nDCG@10':>9}{'P@5':>7}{'MRR@10':>8}{'R@10':>7}{'empty':>7}{'no-ans':>9}"
    ]
    for lang, m in rows:
        na = "-" if m.no_answer_empty is None else f"{m.no_answer_empty:.2f}/{m.no_answer_queries}"
        out.append(
            f"{lang:<6}{m.queries:>6}{m.ndcg:>9.3f}{m.p5:>7.3f}{m.mrr:>8.3f}{m.recall:>7.3f}"
            f"{m.answerable_empty:>7.2f}{na:>9}"
        )
    out.append("empty: answerable needs answered with nothing; no-ans: no-answer needs answered with nothing")
    return "\n".join(out)


def format_comparison(a: EvalReport, b: EvalReport, names: tuple[str, str]) -> str:
    """Two reports side by side, per language, then the needs whose nDCG@10 moved."""
    out = [
        f"{names[0]} -> {names[1]}",
        f"{'lang':<6}{'nDCG A':>8}{'nDCG B':>8}{'delta':>8}{'P@5 A':>7}{'P@5 B':>7}",
    ]
    for lang in ["all", *sorted(set(a.by_lang) | set(b.by_lang))]:
        ma = a.overall if lang == "all" else a.by_lang.get(lang)
        mb = b.overall if lang == "all" else b.by_lang.get(lang)
        if ma is None or mb is None or not ma.queries:
            continue
        out.append(
            f"{lang:<6}{ma.ndcg:>8.3f}{mb.ndcg:>8.3f}{mb.ndcg - ma.ndcg:>+8.3f}{ma.p5:>7.3f}{mb.p5:>7.3f}"
        )
    na, nb = a.overall.no_answer_empty, b.overall.no_answer_empty
    if na is not None and nb is not None:
        out.append(f"no-answer needs answered with nothing: {na:.2f} -> {nb:.2f}")
    moved = [
        (qid, row["ndcg"], b.per_query[qid]["ndcg"])
        for qid, row in a.per_query.items()
        if "ndcg" in row and "ndcg" in b.per_query.get(qid, {})
    ]
    better = sum(1 for _, x, y in moved if y > x + 1e-9)
    worse = sum(1 for _, x, y in moved if y < x - 1e-9)
    out.append(f"needs better {better}, worse {worse}, unchanged {len(moved) - better - worse}")
    out.extend(
        f"  {qid:<8} {x:.3f} -> {y:.3f}"
        for qid, x, y in sorted(moved, key=lambda r: (r[2] - r[1], r[0]))
        if abs(y - x) > 1e-9
    )
    return "\n".join(out)
