"""Calibrated ranking: per-case evidence, the model file, the floor and gate, determinism, language."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from indexing.case_index import CaseIndexer, SecondOpinion, passages_spec, second_spec
from indexing.documents import CaseDocument
from indexing.embedder import HashingEmbedder
from indexing.index_types import FieldFilter, Hit
from indexing.query_language import detect_language
from indexing.relevance import (
    FEATURES,
    GATE_INPUTS,
    OTHER_LANGUAGES,
    GroupWeights,
    QueryGate,
    RelevanceModel,
    case_evidence,
    gate_row,
    load_model,
)
from indexing.retrieval import RetrievalSettings, Retriever
from indexing.vector_index import open_index
from tests.support.gates import one_signal_gate

pytestmark = pytest.mark.nodb

PUBLISHED = FieldFilter(any_of={"publication_state": ["published"]})


def hit(case_id: int, passage: int, score: float, words: int = 100) -> Hit:
    return Hit(f"{case_id}-{passage}", score, {"case_id": case_id, "passage": passage, "words": words})


def test_evidence_aggregates_passages_per_case() -> None:
    dense = [hit(1, 2, 0.9), hit(1, 0, 0.8), hit(2, 0, 0.7, words=5)]
    lexical = [hit(1, 2, 6.0), hit(3, 1, 3.0)]
    ev = case_evidence(dense, lexical, query_terms=3)
    assert ev.case_ids == [1, 2, 3]
    rows = {
        cid: dict(zip(FEATURES, row, strict=True)) for cid, row in zip(ev.case_ids, ev.matrix, strict=True)
    }
    assert rows[1]["dense"] == pytest.approx(0.9)  # best passage
    assert rows[1]["dense_head"] == pytest.approx(0.8)  # title + summary passage
    assert rows[1]["lexical"] == pytest.approx(2.0) and rows[1]["lexical_rel"] == pytest.approx(1.0)
    assert rows[2]["lexical"] == 0.0 and rows[2]["short"] == 1.0
    assert rows[3]["dense"] == pytest.approx(0.7)  # only lexical: the lowest dense score stands in
    assert math.isnan(rows[1]["second"])  # no second encoder
    assert [h.point_id for h in ev.best] == ["1-2", "2-0", "3-1"]


def model(floor: float = 0.0, dense_model: str = "hashing", min_second: float = 0.0) -> RelevanceModel:
    n = len(FEATURES)
    weights = GroupWeights(mean=(0.0,) * n, scale=(1.0,) * n, coef=(4.0,) + (0.0,) * (n - 1), intercept=-2.0)
    return RelevanceModel(
        groups={"fr": weights, "foreign": weights},
        floor=floor,
        dense_model=dense_model,
        min_second=min_second,
    )


def test_model_file_round_trip_and_validation() -> None:
    m = model(0.2)
    again = RelevanceModel.from_json(m.to_json())
    assert again == m
    assert load_model().floor > 0  # the shipped model has a floor
    with pytest.raises(ValueError, match="features"):
        RelevanceModel.from_json(m.to_json().replace('"short"', '"other"'))
    with pytest.raises(ValueError, match="floor"):
        RelevanceModel.from_json(m.to_json().replace('"floor": 0.2', '"floor": 1.5'))


def test_probabilities_and_the_gate() -> None:
    m = model(min_second=0.3)
    matrix = np.array([[0.9] + [0.0] * (len(FEATURES) - 1), [0.1] + [0.0] * (len(FEATURES) - 1)])
    p = m.probabilities(matrix, "mixed")
    assert 0 < p[1] < p[0] < 1
    ev = case_evidence([hit(1, 0, 0.9)], [], 1, second_hits=[hit(1, 0, 0.2)])
    assert not m.answerable(ev)  # the second encoder sees nothing close: nonsense or off-topic
    ev = case_evidence([hit(1, 0, 0.9)], [], 1, second_hits=[hit(1, 0, 0.5)])
    assert m.answerable(ev)
    assert m.answerable(case_evidence([hit(1, 0, 0.9)], [], 1))  # no second encoder, no gate


def test_a_query_gate_silences_a_query_whose_profile_says_nothing_answers() -> None:
    # Reads only the best second-encoder cosine above its background (standardised as is).
    gate = one_signal_gate("second_gap", centre=0.0, scale=1.0, coef=8.0, intercept=-1.0)
    m = RelevanceModel(groups=model().groups, floor=0.01, gates=(gate,))
    assert RelevanceModel.from_json(m.to_json()) == m
    stands_out = case_evidence([hit(1, 0, 0.9)], [], 1, second_hits=[hit(1, 0, 0.6), hit(2, 0, 0.2)])
    flat = case_evidence([hit(1, 0, 0.9)], [], 1, second_hits=[hit(1, 0, 0.22), hit(2, 0, 0.2)])
    for ev in (stands_out, flat):
        assert m.answerable(ev)  # without probabilities the gates are not consulted
    assert m.answerable(stands_out, m.probabilities(stands_out.matrix, "fr"))
    assert not m.answerable(flat, m.probabilities(flat.matrix, "fr"))


def test_a_query_gate_compares_the_best_cosine_with_what_the_query_language_reaches() -> None:
    # Reads only the best dense cosine, above the centre of the query's language.
    gate = QueryGate(
        features=("dense", "dense_head"),
        centres={"fr": (0.87, 0.87), "en": (0.83, 0.83), OTHER_LANGUAGES: (0.84, 0.84)},
        mean=(0.0, 0.0),
        scale=(1.0, 1.0),
        coef=(100.0, 0.0),
        intercept=0.0,
        threshold=0.5,
    )
    m = RelevanceModel(groups=model().groups, floor=0.01, gates=(gate,))
    assert RelevanceModel.from_json(m.to_json()) == m
    ev = case_evidence([hit(1, 0, 0.85), hit(2, 0, 0.80)], [], 1)
    p = m.probabilities(ev.matrix, "fr")
    assert m.answerable(ev)  # without probabilities the gates are not consulted
    assert not m.answerable(ev, p, "fr")  # 0.85 is low for a French query over French text...
    assert m.answerable(ev, p, "en")  # ...and high for an English one
    assert m.answerable(ev, p, "de")  # a language without a centre of its own: the foreign one (0.84)
    assert gate.probability(gate_row(ev.matrix, p, gate.features), "fr") < 0.5
    with pytest.raises(ValueError, match="centres"):
        RelevanceModel.from_json(m.to_json().replace(f'"{OTHER_LANGUAGES}"', '"pt"'))
    with pytest.raises(ValueError, match="features"):
        RelevanceModel.from_json(m.to_json().replace('"dense_head"', '"unknown"'))


def test_the_shipped_model_gates_nonsense_and_near_misses() -> None:
    gates = load_model().gates
    assert len(gates) == 2
    near_miss = next(g for g in gates if "fr" in g.centres)
    assert set(near_miss.features) <= set(GATE_INPUTS)
    assert {"fr", "en", OTHER_LANGUAGES} <= set(near_miss.centres)
    # e5 cosines of a French query over French text run higher than an English one's.
    assert near_miss.centres["fr"][0] > near_miss.centres["en"][0]


@pytest.fixture()
def indexed(tmp_path: Path) -> tuple[HashingEmbedder, object, SecondOpinion]:
    embedder = HashingEmbedder()
    second_embedder = HashingEmbedder(64)
    index = open_index(passages_spec(embedder), path=tmp_path)
    second = SecondOpinion(second_embedder, open_index(second_spec(second_embedder), path=tmp_path))
    docs = [
        CaseDocument(i, title, summary, payload={"publication_state": "published"})
        for i, (title, summary) in enumerate(
            [
                ("Composteurs partagés", "Des bacs de compost au pied des immeubles."),
                ("Compost collectif", "Des bacs de compost au pied des immeubles."),  # same text: a tie
                ("Cantine bio", "Des produits locaux à la cantine."),
                ("Capteurs de pollens", "Prévenir les allergiques."),
            ],
            start=10,
        )
    ]
    CaseIndexer(embedder, index, second).index_cases(docs)
    yield embedder, index, second
    index.close()
    second.index.close()


def test_calibrated_search_is_deterministic_and_breaks_ties_by_case_id(indexed) -> None:  # type: ignore[no-untyped-def]
    embedder, index, second = indexed
    retriever = Retriever(embedder, index, RetrievalSettings(), model=model(), second=second)
    runs = [
        [(h.case_id, h.score) for h in retriever.search("bacs de compost", flt=PUBLISHED)] for _ in range(3)
    ]
    assert runs[0] == runs[1] == runs[2]
    ids = [cid for cid, _ in runs[0]]
    assert set(ids[:2]) == {10, 11}
    scores = [s for _, s in runs[0]]
    assert scores == sorted(scores, reverse=True)
    ties = [cid for cid, s in runs[0] if s == runs[0][0][1]]
    assert ties == sorted(ties)
    assert all("text" not in h.best.payload for h in retriever.search("compost", flt=PUBLISHED))


def test_the_floor_holds_only_for_the_encoder_it_was_calibrated_for(indexed) -> None:  # type: ignore[no-untyped-def]
    embedder, index, second = indexed
    strict = Retriever(embedder, index, RetrievalSettings(), model=model(floor=0.99), second=second)
    assert strict.search("bacs de compost", flt=PUBLISHED) == []  # nothing reaches 0.99
    other = Retriever(
        embedder, index, RetrievalSettings(), model=model(0.99, dense_model="e5"), second=second
    )
    assert other.search("bacs de compost", flt=PUBLISHED)  # floor meaningless for this encoder: kept
    unfloored = Retriever(embedder, index, RetrievalSettings(floor=0.0), model=model(floor=0.99))
    assert len(unfloored.search("bacs de compost", flt=PUBLISHED)) == 4


@pytest.mark.parametrize(
    ("query", "lang", "group"),
    [
        ("mutualiser l'achat de logiciels entre petites communes", "fr", "fr"),
        ("small towns buying software together to get better prices", "en", "foreign"),
        ("comprar programas informáticos entre varios municipios pequeños", "es", "foreign"),
        ("pollen sensors", None, "mixed"),  # two words: the label is a guess
    ],
)
def test_query_language_groups(query: str, lang: str | None, group: str) -> None:
    guess = detect_language(query)
    assert guess.group == group
    if lang is not None:
        assert guess.lang == lang


class RecordingIndex:
    """The real index, noting whether each query asked for brute force."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.exact: list[bool] = []

    def query(self, **kwargs: object) -> list[Hit]:
        self.exact.append(bool(kwargs["exact"]))
        return self.inner.query(**kwargs)  # type: ignore[attr-defined,no-any-return]

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_brute_force_only_while_the_collection_is_small(indexed) -> None:  # type: ignore[no-untyped-def]
    embedder, index, second = indexed
    size = index.count()
    found = {}
    for up_to in (size, size - 1):  # the collection at the limit, then just over it
        recording = RecordingIndex(index)
        settings = RetrievalSettings(exact_up_to=up_to)
        retriever = Retriever(embedder, recording, settings, model=model(), second=second)  # type: ignore[arg-type]
        found[up_to] = [h.case_id for h in retriever.search("bacs de compost", flt=PUBLISHED)]
        assert recording.exact and set(recording.exact) == {up_to >= size}
    assert found[size] == found[size - 1] and set(found[size][:2]) == {10, 11}
