"""`retex eval` on our dev set (54 natural French and English needs written without the words of their
answers), real model: hybrid retrieval must beat both lexical-only and dense-only retrieval."""

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
            "--mode", "hybrid", "--mode", "dense", "--mode", "lexical", "--json",
        ],
        env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    reports = {r["mode"]: r for r in map(json.loads, result.stdout.splitlines())}
    print(json.dumps(reports, indent=1))
    assert reports["hybrid"]["queries"] >= 50
    assert set(reports["hybrid"]["by_lang"]) == {"en", "fr"}
    assert reports["hybrid"]["ndcg@10"] > reports["lexical"]["ndcg@10"]
    assert reports["hybrid"]["ndcg@10"] > reports["dense"]["ndcg@10"]
