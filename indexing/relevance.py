"""Calibrated relevance of a case for a query, from separate dense and lexical evidence.

For every case that one of its passages brings among the dense or the lexical candidates, a few
features are read from the candidates' scores (never from passage text):

* ``dense``: best cosine of the case's passages (e5 cosines are absolute: comparable across
  queries);
* ``dense_gap``: that cosine minus the query's background level (mean cosine of the cases ranked
  10 to 30): how far the case stands out for this query;
* ``dense_head``: cosine of the case's title + summary passage (the background level when it is not
  among the candidates);
* ``lexical``: best IDF-weighted term match of the case's passages divided by the number of query
  terms (0 when no passage shares a stem with the query);
* ``lexical_rel``: that score divided by the query's best one (0 to 1);
* ``short``: 1 when the best passage is a near-empty page (fewer than SHORT_WORDS words), whose
  vector sits close to everything;
* ``second`` and ``second_gap``: the best cosine of the case's passages for the second encoder
  (indexing/second_encoder.py) and its distance above that query's background level. Its cosines
  are spread wide (nonsense or unanswered queries stay low), so they carry most of the floor.
  Without a second encoder these two features take their training mean (they then weigh nothing).

A logistic model per language group (``fr``, ``foreign``; ``mixed`` averages both) turns them into
the probability that a reader judges the case relevant to the query. Its weights were chosen by
cross-validation over the needs of ``bench/devset`` (``bench/relevance_fit.py``), never fitted to a
single query. The same probability ranks the cases and floors them: a case is a result only when
it reaches ``floor``.

Before any case is kept, query-level gates (``QueryGate``, logistic models over a few maxima of the
candidates' evidence) decide whether anything in the collection answers the query at all; each must
pass. A per-case floor cannot do this: the best case of a need the collection only neighbours
(cemetery concessions in a collection about digital public services) scores like a relevant case of
an answerable need.

* The nonsense gate reads the best probability, the best cosines of both encoders and how far they
  stand above the query's background, and the best lexical match: random letters match no word and
  the second encoder sees nothing close.
* The near-miss gate reads how close the dense encoder gets to any passage (best cosine of any
  passage, of any title + summary) *compared with what answerable needs in the query's language
  reach*: e5 cosines are absolute but sit lower for an English or German query over French text
  than for a French one, so the gate subtracts a centre per detected language (the mean over the
  answerable dev-set needs of that language; other languages take the foreign mean). On the dev set
  the best e5 cosine separates answerable from no-answer French needs with a ROC AUC of 0.96, but
  pooled over languages only 0.73; centred per language, 0.92. It also reads how close the second
  encoder gets to the titles of ordinary municipal projects the collection does not cover
  (``second_outside``, indexing/outside_corpus.py, passed in as a query signal): an uncovered
  municipal subject comes closer to one of them than covered needs do (out of fold, no-answer needs
  answered with nothing 50 % -> 83 %: bench/relevance_report.md).

Both were learnt on the same dev set, out of fold: answerable needs against random-letter strings
(nonsense gate) and against the needs judged to have no answer (near-miss gate).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from indexing.index_types import Hit
from indexing.query_language import Group

FEATURES = ("dense", "dense_gap", "dense_head", "lexical", "lexical_rel", "short", "second", "second_gap")
SHORT_WORDS = 25
BACKGROUND_RANKS = (10, 30)
MODEL_PATH = Path(__file__).with_name("relevance_model.json")

Matrix = npt.NDArray[np.float64]
Vector = npt.NDArray[np.float64]


@dataclass
class CaseEvidence:
    """Features of the candidate cases of one query, in a stable order (case id ascending)."""

    case_ids: list[int]
    best: list[Hit]  # per case: its best passage (dense first, else lexical)
    matrix: Matrix  # shape (cases, len(FEATURES))


def _best_per_case(hits: Sequence[Hit]) -> dict[int, Hit]:
    best: dict[int, Hit] = {}
    for hit in hits:
        case_id = int(hit.payload["case_id"])
        current = best.get(case_id)
        if current is None or hit.score > current.score:
            best[case_id] = hit
    return best


def _background(best: dict[int, Hit]) -> tuple[float, float]:
    """(mean score of the cases ranked BACKGROUND_RANKS, lowest score) of one signal."""
    ranked = sorted((h.score for h in best.values()), reverse=True)
    lo, hi = BACKGROUND_RANKS
    window = ranked[lo:hi] or ranked[-1:] or [0.0]
    return sum(window) / len(window), (ranked[-1] if ranked else 0.0)


def case_evidence(
    dense_hits: Sequence[Hit],
    lexical_hits: Sequence[Hit],
    query_terms: int,
    second_hits: Sequence[Hit] | None = None,
) -> CaseEvidence:
    """Features of every case found by a signal; `second_hits` None: no second encoder."""
    dense_best = _best_per_case(dense_hits)
    lexical_best = _best_per_case(lexical_hits)
    second_best = _best_per_case(second_hits) if second_hits is not None else {}
    heads: dict[int, float] = {}
    for hit in dense_hits:
        if int(hit.payload.get("passage", -1)) == 0:
            heads[int(hit.payload["case_id"])] = hit.score
    case_ids = sorted(set(dense_best) | set(lexical_best) | set(second_best))
    background, floor_dense = _background(dense_best)
    second_background, floor_second = _background(second_best)
    terms = max(query_terms, 1)
    top_lexical = max((h.score for h in lexical_best.values()), default=0.0)
    rows: list[list[float]] = []
    best: list[Hit] = []
    for case_id in case_ids:
        d_hit = dense_best.get(case_id)
        l_hit = lexical_best.get(case_id)
        s_hit = second_best.get(case_id)
        dense = d_hit.score if d_hit is not None else floor_dense
        lexical = l_hit.score if l_hit is not None else 0.0
        if second_hits is None:
            second = second_gap = math.nan
        else:
            second = s_hit.score if s_hit is not None else floor_second
            second_gap = second - second_background
        chosen = d_hit or l_hit or s_hit
        assert chosen is not None
        words = int(chosen.payload.get("words", SHORT_WORDS))
        rows.append(
            [
                dense,
                dense - background,
                heads.get(case_id, background),
                lexical / terms,
                lexical / top_lexical if top_lexical > 0 else 0.0,
                1.0 if words < SHORT_WORDS else 0.0,
                second,
                second_gap,
            ]
        )
        best.append(chosen)
    matrix = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))
    return CaseEvidence(case_ids=case_ids, best=best, matrix=matrix)


@dataclass(frozen=True)
class GroupWeights:
    mean: tuple[float, ...]  # feature standardisation learnt with the weights
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float


# The query-level evidence a gate may read: the best probability (as a logit) and the best value of
# a few per-case features over every candidate case (a few maxima: nothing more in the hot path).
# "outside" / "second_outside": the best cosine of the query over titles of what the collection does not
# cover, per encoder (indexing/outside_corpus.py): query-level signals, passed in, not read from cases.
QUERY_SIGNALS = ("outside", "second_outside")
CASE_MAXIMA = ("dense", "dense_gap", "dense_head", "lexical", "second", "second_gap")
GATE_INPUTS = ("top_logit", *CASE_MAXIMA, *QUERY_SIGNALS)
OTHER_LANGUAGES = "*"  # QueryGate.centres key of the languages without a centre of their own


def gate_row(
    evidence_matrix: Matrix,
    probabilities: npt.NDArray[np.float64],
    features: Sequence[str],
    signals: Mapping[str, float] | None = None,
) -> list[float]:
    """The named query-level evidence (GATE_INPUTS) of one query; NaN for a signal absent from every
    candidate (no second encoder) or a query signal not given."""
    out = []
    for name in features:
        if name in QUERY_SIGNALS:
            out.append(float((signals or {}).get(name, math.nan)))
        elif name == "top_logit":
            top = float(np.clip(np.max(probabilities), 1e-6, 1 - 1e-6))
            out.append(math.log(top / (1 - top)))
        else:
            values = evidence_matrix[:, FEATURES.index(name)]
            out.append(math.nan if np.isnan(values).all() else float(np.nanmax(values)))
    return out


@dataclass(frozen=True)
class QueryGate:
    """Logistic "something in the collection answers this query" over gate_row() of `features`
    minus the centre of the query's language; the query gets results when the probability reaches
    `threshold`."""

    features: tuple[str, ...]  # among GATE_INPUTS
    centres: dict[str, tuple[float, ...]]  # per detected language; OTHER_LANGUAGES for the rest
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float

    def probability(self, row: Sequence[float], lang: str) -> float:
        centre = np.asarray(self.centres.get(lang, self.centres[OTHER_LANGUAGES]))
        z = (np.asarray(row, dtype=np.float64) - centre - np.asarray(self.mean)) / np.asarray(self.scale)
        z = np.nan_to_num(z, nan=0.0)  # no second encoder: its features stand at their mean
        return float(1.0 / (1.0 + math.exp(-(float(z @ np.asarray(self.coef)) + self.intercept))))

    def passes(
        self,
        evidence_matrix: Matrix,
        probabilities: npt.NDArray[np.float64],
        lang: str,
        signals: Mapping[str, float] | None = None,
    ) -> bool:
        row = gate_row(evidence_matrix, probabilities, self.features, signals)
        return self.probability(row, lang) >= self.threshold

    def to_dict(self) -> dict[str, object]:
        return {
            "features": list(self.features),
            "centres": self.centres,
            "mean": self.mean,
            "scale": self.scale,
            "coef": self.coef,
            "intercept": self.intercept,
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, g: dict[str, Any]) -> QueryGate:
        features = tuple(str(f) for f in g["features"])
        if not set(features) <= set(GATE_INPUTS):
            raise ValueError(f"query gate built for features {features}, expected some of {GATE_INPUTS}")
        centres = {lang: tuple(float(x) for x in c) for lang, c in g["centres"].items()}
        if OTHER_LANGUAGES not in centres or any(len(c) != len(features) for c in centres.values()):
            raise ValueError(f"query gate centres need '{OTHER_LANGUAGES}' and one value per feature")
        return cls(
            features=features,
            centres=centres,
            mean=tuple(float(x) for x in g["mean"]),
            scale=tuple(float(x) for x in g["scale"]),
            coef=tuple(float(x) for x in g["coef"]),
            intercept=float(g["intercept"]),
            threshold=float(g["threshold"]),
        )


@dataclass(frozen=True)
class RelevanceModel:
    groups: dict[str, GroupWeights]  # "fr" and "foreign"
    floor: float  # a case is a result when its probability reaches this
    dense_model: str = "packaged:multilingual-e5-small"  # the probabilities hold for this encoder only
    # Query-level gate on the second encoder's best cosine (its cosines are absolute): below it
    # nothing answers the query; a stricter one when no word of the query occurs in any passage.
    min_second: float = 0.0
    min_second_unmatched: float = 0.0
    gates: tuple[QueryGate, ...] = ()  # each must pass; none: only the cosine gate above

    def answerable(
        self,
        evidence: CaseEvidence,
        probabilities: npt.NDArray[np.float64] | None = None,
        lang: str = OTHER_LANGUAGES,
        signals: Mapping[str, float] | None = None,
    ) -> bool:
        """False when the query is nonsense or nothing in the collection answers it; `lang` is the
        query's detected language, `signals` its QUERY_SIGNALS. Without probabilities the query gates
        are not consulted."""
        column = evidence.matrix[:, FEATURES.index("second")]
        if not len(column):
            return False
        if probabilities is not None and not all(
            g.passes(evidence.matrix, probabilities, lang, signals) for g in self.gates
        ):
            return False
        if np.isnan(column).all():
            return True  # no second encoder: no cosine gate
        best = float(np.nanmax(column))
        lexical = float(np.max(evidence.matrix[:, FEATURES.index("lexical")]))
        return best >= (self.min_second if lexical > 0 else max(self.min_second, self.min_second_unmatched))

    def probabilities(self, matrix: Matrix, group: Group) -> npt.NDArray[np.float64]:
        if group == "mixed":
            fr, foreign = self.groups["fr"], self.groups["foreign"]
            logits = (self._logits(matrix, fr) + self._logits(matrix, foreign)) / 2
        else:
            logits = self._logits(matrix, self.groups[group])
        return 1.0 / (1.0 + np.exp(-logits))

    @staticmethod
    def _logits(matrix: Matrix, w: GroupWeights) -> npt.NDArray[np.float64]:
        z = (matrix - np.asarray(w.mean)) / np.asarray(w.scale)
        z = np.nan_to_num(z, nan=0.0)  # a missing signal stands at its training mean
        return z @ np.asarray(w.coef) + w.intercept

    def to_json(self) -> str:
        return json.dumps(
            {
                "features": list(FEATURES),
                "dense_model": self.dense_model,
                "floor": self.floor,
                "min_second": self.min_second,
                "min_second_unmatched": self.min_second_unmatched,
                "gates": [g.to_dict() for g in self.gates],
                "groups": {
                    name: {"mean": g.mean, "scale": g.scale, "coef": g.coef, "intercept": g.intercept}
                    for name, g in self.groups.items()
                },
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> RelevanceModel:
        data = json.loads(text)
        if list(data["features"]) != list(FEATURES):
            raise ValueError(f"relevance model built for features {data['features']}, expected {FEATURES}")
        groups = {
            name: GroupWeights(
                mean=tuple(g["mean"]),
                scale=tuple(g["scale"]),
                coef=tuple(g["coef"]),
                intercept=g["intercept"],
            )
            for name, g in data["groups"].items()
        }
        if set(groups) != {"fr", "foreign"}:
            raise ValueError("relevance model needs the groups 'fr' and 'foreign'")
        floor = float(data["floor"])
        if not 0.0 <= floor < 1.0 or math.isnan(floor):
            raise ValueError(f"relevance floor must be in [0, 1), got {floor}")
        gates = tuple(QueryGate.from_dict(g) for g in data.get("gates", []))
        return cls(
            groups=groups,
            floor=floor,
            gates=gates,
            dense_model=str(data["dense_model"]),
            min_second=float(data.get("min_second", 0.0)),
            min_second_unmatched=float(data.get("min_second_unmatched", 0.0)),
        )


def load_model(path: Path = MODEL_PATH) -> RelevanceModel:
    return RelevanceModel.from_json(path.read_text(encoding="utf-8"))
