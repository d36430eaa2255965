"""A query gate on one signal, for tests that check what a gate reads (indexing/relevance.QueryGate)."""

from __future__ import annotations

from indexing.relevance import OTHER_LANGUAGES, QueryGate


def one_signal_gate(feature: str, *, centre: float, scale: float, coef: float, intercept: float) -> QueryGate:
    """Passes when 1 / (1 + exp(-(coef * (value - centre) / scale + intercept))) reaches 0.5, whatever the
    query's language."""
    return QueryGate(
        features=(feature,),
        centres={OTHER_LANGUAGES: (centre,)},
        mean=(0.0,),
        scale=(scale,),
        coef=(coef,),
        intercept=intercept,
        threshold=0.5,
    )
