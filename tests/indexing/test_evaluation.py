"""Tests for indexing.evaluation, with hand-computed expected values."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from indexing.evaluation import (
    CorpusDoc,
    Query,
    evaluate,
    load_corpus,
    load_qrels,
    load_queries,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
)

# ----------------------------------------------------------------------------- metrics


def test_single_relevant_at_rank_3() -> None:
    ranked = ["a", "b", "c", "d"]
    qrels = {"c": 1}
    assert mrr_at_k(ranked, qrels) == pytest.approx(1 / 3)
    # DCG = 1/log2(4) = 0.5 ; IDCG = 1/log2(2) = 1
    assert ndcg_at_k(ranked, qrels) == pytest.approx(1 / math.log2(4))
    assert ndcg_at_k(ranked, qrels) == pytest.approx(0.5)
    assert recall_at_k(ranked, qrels) == 1.0


def test_perfect_ranking_scores_one() -> None:
    qrels = {"x": 2, "y": 1}
    ranked = ["x", "y", "z"]
    assert ndcg_at_k(ranked, qrels) == pytest.approx(1.0)
    assert mrr_at_k(ranked, qrels) == 1.0
    assert recall_at_k(ranked, qrels) == 1.0


def test_graded_gains_swapped_order() -> None:
    # Ranking y (gain 1) before x (gain 2).
    qrels = {"x": 2, "y": 1}
    ranked = ["y", "x"]
    dcg = 1 / math.log2(2) + 2 / math.log2(3)  # 1 + 1.26186 = 2.26186
    idcg = 2 / math.log2(2) + 1 / math.log2(3)  # 2 + 0.63093 = 2.63093
    assert ndcg_at_k(ranked, qrels) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(ranked, qrels) == pytest.approx(0.859719, abs=1e-6)
    assert mrr_at_k(ranked, qrels) == 1.0


def test_ideal_uses_all_judgements_not_only_retrieved() -> None:
    # Two relevant docs, only one retrieved, at rank 2.
    qrels = {"r1": 1, "r2": 1}
    ranked = ["n", "r1"]
    idcg = 1 + 1 / math.log2(3)
    assert ndcg_at_k(ranked, qrels) == pytest.approx((1 / math.log2(3)) / idcg)
    assert recall_at_k(ranked, qrels) == 0.5
    assert mrr_at_k(ranked, qrels) == 0.5


def test_cutoff_k() -> None:
    ranked = [f"d{i}" for i in range(1, 12)]  # d11 is at rank 11
    qrels = {"d11": 2}
    assert ndcg_at_k(ranked, qrels, k=10) == 0.0
    assert mrr_at_k(ranked, qrels, k=10) == 0.0
    assert recall_at_k(ranked, qrels, k=10) == 0.0
    assert mrr_at_k(ranked, qrels, k=11) == pytest.approx(1 / 11)


def test_zero_scores_are_not_relevant() -> None:
    qrels = {"a": 0, "b": 1}
    ranked = ["a", "b"]
    assert mrr_at_k(ranked, qrels) == 0.5
    assert recall_at_k(ranked, qrels) == 1.0
    assert ndcg_at_k(ranked, qrels) == pytest.approx(1 / math.log2(3))


def test_duplicates_in_run_count_once() -> None:
    qrels = {"a": 1, "b": 1}
    ranked = ["a", "a", "b"]
    assert ndcg_at_k(ranked, qrels) == pytest.approx(1.0)


# ----------------------------------------------------------------------------- evaluate


def test_evaluate_aggregates_and_by_lang() -> None:
    queries = [
        Query("q1", "un", "fr"),
        Query("q2", "deux", "fr"),
        Query("q3", "three", "en"),
        Query("q4", "sans jugement", "fr"),
    ]
    qrels = {
        "q1": {"c": 1},  # rank 3 -> mrr 1/3, ndcg 0.5, recall 1
        "q2": {"x": 2, "y": 1},  # perfect -> 1, 1, 1
        "q3": {"z": 1},  # missing from run -> 0, 0, 0
        "q4": {"a": 0},  # no relevant doc -> skipped
    }
    run = {"q1": ["a", "b", "c"], "q2": ["x", "y"], "q4": ["a"]}
    report = evaluate(run, qrels, queries, k=10)
    d = report.to_dict()
    assert d["queries"] == 3
    assert d["skipped"] == 1
    assert d["mrr@10"] == pytest.approx(round((1 / 3 + 1 + 0) / 3, 4))
    assert d["ndcg@10"] == pytest.approx(round((0.5 + 1 + 0) / 3, 4))
    assert d["recall@10"] == pytest.approx(round((1 + 1 + 0) / 3, 4))
    assert d["by_lang"]["fr"]["queries"] == 2
    assert d["by_lang"]["fr"]["mrr@10"] == pytest.approx(round((1 / 3 + 1) / 2, 4))
    assert d["by_lang"]["fr"]["ndcg@10"] == pytest.approx(0.75)
    assert d["by_lang"]["en"] == {
        "ndcg@10": 0.0,
        "recall@10": 0.0,
        "mrr@10": 0.0,
        "p@5": 0.0,
        "queries": 1,
        "answerable_empty": 1.0,  # q3 got no result at all
        "no_answer_empty": None,
        "no_answer_queries": 0,
    }
    assert report.per_query["q1"]["mrr"] == pytest.approx(1 / 3)
    assert d["p@5"] == pytest.approx(round((1 / 5 + 2 / 5 + 0) / 3, 4))


def test_no_answer_needs_score_the_empty_answers_apart() -> None:
    queries = [
        Query("q1", "un", "fr"),
        Query("n1", "rien", "fr", no_answer=True),
        Query("n2", "nothing", "en", no_answer=True),
        Query("n3", "rien non plus", "fr", no_answer=True),
    ]
    run = {"q1": ["c"], "n1": [], "n2": ["a", "b"]}  # n3 absent from the run: answered with nothing
    report = evaluate(run, {"q1": {"c": 2}}, queries)
    assert report.queries == 1
    assert report.skipped == 0
    assert report.overall.no_answer_empty == pytest.approx(2 / 3)
    assert report.overall.no_answer_queries == 3
    assert report.by_lang["en"].no_answer_empty == 0.0
    assert report.by_lang["en"].queries == 0
    assert report.by_lang["fr"].no_answer_empty == 1.0
    assert report.per_query["n2"]["results"] == 2


def test_load_queries_reads_the_no_answer_flag(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"_id": "a", "text": "x", "no_answer": true}\n{"_id": "b", "text": "y"}\n')
    assert [q.no_answer for q in load_queries(path)] == [True, False]
    path.write_text('{"_id": "a", "text": "x", "no_answer": "yes"}\n')
    with pytest.raises(ValueError, match="no_answer"):
        load_queries(path)


def test_evaluate_without_queries_uses_qrels() -> None:
    report = evaluate({"q1": ["a"]}, {"q1": {"a": 1}, "q2": {}})
    assert report.queries == 1
    assert report.skipped == 1
    assert report.mrr == 1.0
    assert report.by_lang == {}


def test_evaluate_rejects_bad_k() -> None:
    with pytest.raises(ValueError):
        evaluate({}, {}, k=0)


# ----------------------------------------------------------------------------- loaders


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_load_corpus(tmp_path: Path) -> None:
    p = _write(
        tmp_path / "corpus.jsonl",
        json.dumps({"_id": "a", "title": "Titre", "text": "Texte"})
        + "\n\n"
        + json.dumps({"_id": "b", "text": "B"})
        + "\n",
    )
    assert load_corpus(p) == [CorpusDoc("a", "Titre", "Texte"), CorpusDoc("b", "", "B")]


def test_load_corpus_errors(tmp_path: Path) -> None:
    p = _write(tmp_path / "corpus.jsonl", '{"_id": "a", "text": "x"}\n{not json}\n')
    with pytest.raises(ValueError, match=r"corpus\.jsonl:2: invalid JSON"):
        load_corpus(p)
    p = _write(tmp_path / "c2.jsonl", '{"_id": "a", "text": "x"}\n{"_id": "a", "text": "y"}\n')
    with pytest.raises(ValueError, match=r"c2\.jsonl:2: duplicate _id"):
        load_corpus(p)
    p = _write(tmp_path / "c3.jsonl", '{"title": "t"}\n')
    with pytest.raises(ValueError, match=r"c3\.jsonl:1: missing field '_id'"):
        load_corpus(p)
    p = _write(tmp_path / "c4.jsonl", "[1, 2]\n")
    with pytest.raises(ValueError, match=r"c4\.jsonl:1: expected a JSON object"):
        load_corpus(p)


def test_load_queries(tmp_path: Path) -> None:
    p = _write(
        tmp_path / "queries.jsonl",
        '{"_id": "q1", "text": "bonjour", "lang": "fr"}\n{"_id": "q2", "text": "hello"}\n',
    )
    assert load_queries(p) == [Query("q1", "bonjour", "fr"), Query("q2", "hello", None)]


def test_load_queries_errors(tmp_path: Path) -> None:
    p = _write(tmp_path / "queries.jsonl", '{"_id": "q1"}\n')
    with pytest.raises(ValueError, match=r"queries\.jsonl:1: missing field 'text'"):
        load_queries(p)
    p = _write(tmp_path / "q2.jsonl", '{"_id": "q1", "text": 3}\n')
    with pytest.raises(ValueError, match=r"q2\.jsonl:1: field 'text' must be a string"):
        load_queries(p)


def test_load_qrels(tmp_path: Path) -> None:
    p = _write(tmp_path / "qrels.tsv", "query-id\tcorpus-id\tscore\nq1\ta\t2\nq1\tb\t1\nq2\tc\t0\n\n")
    assert load_qrels(p) == {"q1": {"a": 2, "b": 1}, "q2": {"c": 0}}


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ("", r"qrels\.tsv:1: empty qrels file"),
        ("qid\tdoc\tscore\n", r"qrels\.tsv:1: expected header"),
        ("query-id\tcorpus-id\tscore\nq1\ta\n", r"qrels\.tsv:2: expected 3 tab-separated columns"),
        ("query-id\tcorpus-id\tscore\nq1\ta\thigh\n", r"qrels\.tsv:2: score must be an integer"),
        ("query-id\tcorpus-id\tscore\nq1\ta\t-1\n", r"qrels\.tsv:2: score must be >= 0"),
        ("query-id\tcorpus-id\tscore\nq1\ta\t1\nq1\ta\t2\n", r"qrels\.tsv:3: duplicate judgement"),
    ],
)
def test_load_qrels_errors(tmp_path: Path, content: str, pattern: str) -> None:
    p = _write(tmp_path / "qrels.tsv", content)
    with pytest.raises(ValueError, match=pattern):
        load_qrels(p)


def test_text_report_and_side_by_side_comparison() -> None:
    from indexing.evaluation import format_comparison, format_report

    queries = [
        Query("f1", "un", "fr"),
        Query("e1", "one", "en"),
        Query("n1", "rien", "fr", no_answer=True),
    ]
    qrels = {"f1": {"a": 2}, "e1": {"b": 1}}
    before = evaluate({"f1": ["x", "a"], "e1": ["b"], "n1": ["z"]}, qrels, queries)
    after = evaluate({"f1": ["a"], "e1": ["x", "y"], "n1": []}, qrels, queries)
    table = format_report(after).splitlines()
    assert table[0].split()[:4] == ["lang", "needs", "nDCG@10", "P@5"]
    assert table[1].split()[:3] == ["all", "2", "0.500"]
    assert table[3].split()[0] == "fr" and table[3].split()[-1] == "1.00/1"  # its no-answer need got nothing
    compared = format_comparison(before, after, ("before", "after"))
    assert "no-answer needs answered with nothing: 0.00 -> 1.00" in compared
    assert "needs better 1, worse 1, unchanged 0" in compared
    assert "  e1       1.000 -> 0.000" in compared.splitlines()
