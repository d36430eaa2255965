"""The territory collection: feature vectors whose cosine is the documented weighted sum, a sync that
is idempotent and resumable, and filtered nearest-neighbour queries."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from indexing.territory_index import (
    TerritoryFacts,
    TerritoryIndex,
    feature_vector,
    territories_spec,
    territory_point_id,
)
from indexing.vector_index import open_index


def commune(i: int, population: int | None, **fields: str | None) -> TerritoryFacts:
    values: dict[str, str | None] = {
        "departement": "01",
        "region": "84",
        "epci": "200000001",
        "epci_name": "CC Test",
        "epci_form": "CC",
        "rural_class": "rural",
    }
    values.update(fields)
    return TerritoryFacts(
        territory_id=i, code=f"{i:05d}", name=f"Commune {i}", kind="commune", population=population, **values
    )


@pytest.fixture
def index(tmp_path: Path) -> Iterator[TerritoryIndex]:
    vector_index = open_index(territories_spec(), path=tmp_path)
    yield TerritoryIndex(vector_index, batch_size=10)
    vector_index.close()


def test_cosine_is_the_documented_weighted_sum() -> None:
    a = commune(1, 1_000)
    b = commune(2, 10_000, epci_form="CA", rural_class="urbain")
    cos = float(np.dot(feature_vector(a), feature_vector(b)))
    delta = 1.0  # one decade
    expected = 0.15 * math.cos(math.pi / 10 * delta) + 0.35 * math.cos(math.pi / 4 * delta) + 0.15
    assert cos == pytest.approx(expected, abs=1e-6)
    assert float(np.linalg.norm(feature_vector(a))) == pytest.approx(1.0, abs=1e-6)


def test_closer_population_means_higher_cosine() -> None:
    ref = feature_vector(commune(1, 860))
    cosines = [float(np.dot(ref, feature_vector(commune(2, p)))) for p in (900, 2_000, 20_000, 2_000_000)]
    assert cosines == sorted(cosines, reverse=True)


def test_unknown_population_still_encodes_the_other_features() -> None:
    vec = feature_vector(commune(1, None))
    assert np.isfinite(vec).all() and float(np.linalg.norm(vec)) > 0


def test_sync_is_idempotent_resumable_and_deletes_what_is_gone(index: TerritoryIndex) -> None:
    facts = [commune(i, 100 * i) for i in range(1, 36)]
    calls = iter([False, True])  # stop before the second batch
    partial = index.sync(facts, should_stop=lambda: next(calls, True))
    assert not partial.complete and partial.written == 10 and index.count() == 10

    resumed = index.sync(facts)
    assert resumed.complete and resumed.written == 25 and resumed.unchanged == 10
    assert index.count() == 35
    again = index.sync(facts)
    assert (again.written, again.deleted, again.unchanged) == (0, 0, 35)

    changed = [commune(1, 999_999), *facts[1:30]]  # one fact changed, five territories gone
    report = index.sync(changed)
    assert (report.written, report.deleted) == (1, 5)
    assert index.count() == 30
    stored = dict(index.index.scroll_payloads(["population"]))
    assert stored[territory_point_id("00001")]["population"] == 999_999


def test_nearest_filters_by_kind_and_scope_and_excludes(index: TerritoryIndex) -> None:
    facts = [
        commune(1, 1_000),
        commune(2, 1_100),
        commune(3, 1_050, departement="02"),
        commune(4, 50_000),
        TerritoryFacts(territory_id=5, code="200000001", name="CC Test", kind="epci", population=1_000),
    ]
    index.sync(facts)
    found = index.nearest(facts[0], limit=10, kinds=["commune"], exclude_codes=["00001"])
    assert [c.facts.code for c in found] == ["00003", "00002", "00004"]
    assert found[0].facts == facts[2]  # the payload gives back the facts
    in_01 = index.nearest(facts[0], limit=10, kinds=["commune"], same={"departement": "01"})
    assert {c.facts.code for c in in_01} == {"00001", "00002", "00004"}
