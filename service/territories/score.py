"""The similarity score of two territories: one documented formula, used everywhere
(similar territories, experiences from similar territories, the search boost, the fit of a case).

    score = w_s · S + w_t · T + w_g · G                                   (each term in [0, 1])

    S (structure)  = 0.50 · P + 0.20 · F + 0.15 · R + 0.15 · K
        P = max(0, 1 − |log10(pop_a) − log10(pop_b)|)   population closeness: 1 for the same size,
                                                       0 from a ratio of 10 (0 if a population is unknown)
        F = 1 if same EPCI legal form (CC, CA, CU, métropole; for a commune, its EPCI's form), else 0
        R = 1 same rural/urban class, 0.5 neighbouring classes, 0 otherwise (see features.rural_class)
        K = 1 if same kind (commune, EPCI…), else 0
    T (themes)     = max(0, cosine of the two thematic vectors); 0 unless both territories have one, so
                     having published cases can only add to a score, never lower it
    G (geography)  = 1 same EPCI (or one is the other's EPCI), 0.4 same département, 0.2 same région, else 0
    weights (w_s, w_t, w_g) = (0.80, 0.15, 0.05) for scope=france (the size matters, not the place);
                              (0.60, 0.15, 0.25) for scope=region|departement (neighbours, and above all
                              the partners of one's own EPCI, come first)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from indexing.territory_index import RURAL_CLASSES, TerritoryFacts

# A thematic vector: the normalised mean of a territory's case vectors
# (built by service/territory_insights/activity.py).
Vector = npt.NDArray[np.float32]
Scope = Literal["france", "region", "departement"]
GeoLevel = Literal["epci", "departement", "region"]

STRUCTURE_WEIGHTS = {"population": 0.50, "epci_form": 0.20, "rural_class": 0.15, "kind": 0.15}
POPULATION_SPAN_DECADES = 1.0


@dataclass(frozen=True)
class Weights:
    structure: float
    theme: float
    geography: float


WEIGHTS: dict[Scope, Weights] = {
    "france": Weights(structure=0.80, theme=0.15, geography=0.05),
    "region": Weights(structure=0.60, theme=0.15, geography=0.25),
    "departement": Weights(structure=0.60, theme=0.15, geography=0.25),
}
GEOGRAPHY: dict[GeoLevel, float] = {"epci": 1.0, "departement": 0.4, "region": 0.2}


@dataclass(frozen=True)
class Closeness:
    population: float  # P
    same_form: bool  # F
    rural: float  # R
    same_kind: bool  # K
    structure: float  # S
    theme: float | None  # T, None when one side has no thematic vector
    geography: float  # G
    geo_level: GeoLevel | None
    total: float


def population_closeness(a: int | None, b: int | None) -> float:
    if not a or not b or a <= 0 or b <= 0:
        return 0.0
    return max(0.0, 1.0 - abs(math.log10(a) - math.log10(b)) / POPULATION_SPAN_DECADES)


def rural_closeness(a: str | None, b: str | None) -> float:
    if a is None or b is None:
        return 1.0 if a == b else 0.0
    gap = abs(RURAL_CLASSES.index(a) - RURAL_CLASSES.index(b))
    return {0: 1.0, 1: 0.5}.get(gap, 0.0)


def geo_level(a: TerritoryFacts, b: TerritoryFacts) -> GeoLevel | None:
    if (a.epci and a.epci == b.epci) or a.code == b.epci or b.code == a.epci:
        return "epci"
    if a.departement and a.departement == b.departement:
        return "departement"
    if a.region and a.region == b.region:
        return "region"
    return None


def cosine(a: Vector | None, b: Vector | None) -> float | None:
    if a is None or b is None:
        return None
    return max(0.0, float(np.dot(a, b)))  # both unit-normalised


def compare(
    a: TerritoryFacts,
    b: TerritoryFacts,
    *,
    scope: Scope = "france",
    vector_a: Vector | None = None,
    vector_b: Vector | None = None,
) -> Closeness:
    """How close `b` is to `a` (symmetric), with every term of the formula kept for the explanation."""
    p = population_closeness(a.population, b.population)
    same_form = a.epci_form == b.epci_form
    r = rural_closeness(a.rural_class, b.rural_class)
    same_kind = a.kind == b.kind
    w = STRUCTURE_WEIGHTS
    structure = (
        w["population"] * p + w["epci_form"] * same_form + w["rural_class"] * r + w["kind"] * same_kind
    )
    theme = cosine(vector_a, vector_b)
    level = geo_level(a, b)
    geography = GEOGRAPHY[level] if level else 0.0
    weights = WEIGHTS[scope]
    total = weights.structure * structure + weights.theme * (theme or 0.0) + weights.geography * geography
    return Closeness(
        population=p,
        same_form=same_form,
        rural=r,
        same_kind=same_kind,
        structure=structure,
        theme=theme,
        geography=geography,
        geo_level=level,
        total=total,
    )
