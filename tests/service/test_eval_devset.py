"""`retex eval` on our dev set (125 natural needs in French, English, Spanish, German and Italian,
written without the words of their answers, 12 of them without any answer), real models: the
calibrated ranking must beat lexical-only, dense-only and the former fused ranking."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.model_dir import data_dir_with_model
from tests.support.paths import REPO

DEVSET = REPO / "bench" / "devset"


@pytest.mark.nodb
def test_hybrid_beats_lexical_and_dense_on_the_dev_set(tmp_path: Path, packaged_model_dir: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    subprocess.run([sys.executable, str(DEVSET / "build_corpus.py"), str(corpus)], check=True)
    env = {**os.environ, "RETEX_DATA_DIR": str(data_dir_with_model(tmp_path / "data", packaged_model_dir))}
    result = subprocess.run(
        [
            sys.executable, "-m", "service.cli", "eval",
            "--corpus", str(corpus),
            "--queries", str(DEVSET / "queries.jsonl"),
            "--qrels", str(DEVSET / "qrels.tsv"),
            "--mode", "hybrid", "--mode", "dense", "--mode", "lexical", "--config", "fused", "--json",
        ],
        env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    reports = {r["mode"]: r for r in map(json.loads, result.stdout.splitlines())}
    print(json.dumps(reports, indent=1))
    assert reports["hybrid"]["queries"] >= 110
    assert reports["hybrid"]["no_answer_queries"] == 12
    assert set(reports["hybrid"]["by_lang"]) == {"de", "en", "es", "fr", "it"}
    assert reports["hybrid"]["ndcg@10"] > reports["lexical"]["ndcg@10"]
    assert reports["hybrid"]["ndcg@10"] > reports["dense"]["ndcg@10"]
    assert reports["hybrid"]["ndcg@10"] > reports["fused"]["ndcg@10"]
    assert reports["hybrid"]["by_lang"]["fr"]["ndcg@10"] >= reports["fused"]["by_lang"]["fr"]["ndcg@10"]
