"""The near-miss gate's outside titles: built once, loaded only when built from the same titles, and
read by the gate as the query's best cosine over them."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pytest

from indexing.embedder import HashingEmbedder
from indexing.index_types import Hit
from indexing.outside_corpus import build, group_titles, load, outside_titles
from indexing.relevance import (
    FEATURES,
    GroupWeights,
    RelevanceModel,
    case_evidence,
    gate_row,
)
from tests.support.gates import one_signal_gate

pytestmark = pytest.mark.nodb

TITLES = [
    "Extension de la salle des fêtes",
    "Achat d'une balayeuse de voirie",
    "Réfection de l'église",
]


def titles_file(tmp_path: Path, titles: list[str]) -> Path:
    path = tmp_path / "titles.txt.gz"
    path.write_bytes(gzip.compress("".join(f"{t}\n" for t in titles).encode(), mtime=0))
    return path


def test_built_vectors_give_the_best_cosine_of_the_query_over_the_titles(tmp_path: Path) -> None:
    embedder = HashingEmbedder(64)
    path = titles_file(tmp_path, TITLES)
    build(tmp_path, embedder, path)
    outside = load(tmp_path, [embedder.model_name], path)
    assert outside_titles(path) == TITLES
    query = embedder.embed_query("agrandir la salle des fêtes")
    expected = max(float(v @ query) for v in embedder.embed_passages(TITLES))
    assert outside.best_cosine(embedder.model_name, query) == pytest.approx(expected, abs=1e-6)
    # A subject among the titles comes closer than one far from all of them.
    far = embedder.embed_query("portail open data et API")
    assert outside.best_cosine(embedder.model_name, query) > outside.best_cosine(embedder.model_name, far)
    # No vectors for that encoder, or no query vector: no signal (the gate then reads its mean).
    assert math.isnan(outside.best_cosine("use-multilingual-v3", query))
    assert math.isnan(outside.best_cosine(embedder.model_name, None))


def test_vectors_built_from_other_titles_are_not_loaded(tmp_path: Path) -> None:
    embedder = HashingEmbedder(64)
    (tmp_path / "old").mkdir()
    build(tmp_path, embedder, titles_file(tmp_path / "old", TITLES[:2]))
    current = titles_file(tmp_path, TITLES)
    assert load(tmp_path, [embedder.model_name], current).vectors == {}  # stale: left out
    build(tmp_path, embedder, current)
    assert len(load(tmp_path, [embedder.model_name], current).vectors[embedder.model_name].rows) == len(
        TITLES
    )


def test_grouped_titles_find_the_best_cosine_by_reading_a_few_groups() -> None:
    rng = np.random.default_rng(7)
    # Clustered like real titles: 4,000 vectors around 200 subjects.
    subjects = rng.normal(size=(200, 32))
    rows = subjects[rng.integers(0, 200, 4000)] + 0.4 * rng.normal(size=(4000, 32))
    matrix = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    groups = group_titles(matrix, groups=64)
    assert sorted(map(tuple, groups.rows.tolist())) == sorted(map(tuple, matrix.tolist()))  # reordered only
    assert groups.offsets[0] == 0 and groups.offsets[-1] == len(matrix)
    # Queries near some subject, as a need comes near the titles of its subject.
    queries = (subjects[rng.integers(0, 200, 200)] + 0.6 * rng.normal(size=(200, 32))).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    exact = [float(np.max(matrix @ q)) for q in queries]
    every_group = [groups.best_cosine(q, probe=64) for q in queries]
    assert every_group == pytest.approx(exact, abs=1e-6)
    probed = [groups.best_cosine(q, probe=16) for q in queries]  # a quarter of the rows
    same = sum(abs(p - e) < 1e-6 for p, e in zip(probed, exact, strict=True))
    assert same >= 0.9 * len(queries)
    assert all(p <= e + 1e-6 for p, e in zip(probed, exact, strict=True))


def test_the_near_miss_gate_reads_the_outside_signal() -> None:
    # A gate on the outside cosine alone: closer to an ordinary municipal subject, less answerable.
    gate = one_signal_gate("second_outside", centre=0.5, scale=0.1, coef=-4.0, intercept=0.0)
    n = len(FEATURES)
    weights = GroupWeights(mean=(0.0,) * n, scale=(1.0,) * n, coef=(0.0,) * n, intercept=0.0)
    m = RelevanceModel(groups={"fr": weights, "foreign": weights}, floor=0.01, gates=(gate,))
    assert RelevanceModel.from_json(m.to_json()) == m
    candidate = Hit("1-0", 0.9, {"case_id": 1, "passage": 0, "words": 100})
    ev = case_evidence([candidate], [], 1, second_hits=[candidate])  # one candidate: the gate decides
    p = m.probabilities(ev.matrix, "fr")
    assert gate_row(ev.matrix, p, gate.features, {"second_outside": 0.7}) == [0.7]
    assert not m.answerable(ev, p, "fr", {"second_outside": 0.7})  # a title is closer than usual
    assert m.answerable(ev, p, "fr", {"second_outside": 0.3})
    assert m.answerable(ev, p, "fr")  # no outside vectors: the signal stands at its mean
    assert np.isnan(gate_row(ev.matrix, p, gate.features)[0])
