"""Structural feature vectors of territories, in their own collection, for "territoires comparables".

One point per territory (36k): a small dense vector that encodes its size, kind, the legal form of
its intercommunality and a rural/urban class, plus a payload of plain facts (kind, population,
département, région, EPCI) used both to filter the query and to re-rank the candidates without
reading the database again. The cosine of two vectors is, by construction, a weighted sum of
per-feature closeness (see `feature_vector`), so the nearest points are good candidates for the
exact score computed by `service/territory_insights/similarity.py`.

Receives plain data (`TerritoryFacts`); imports nothing from `service/`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from indexing.index_types import CollectionSpec, FieldFilter, IndexPoint, stable_point_id
from indexing.vector_index import VectorIndex

TERRITORIES_COLLECTION = "territories"
# Recorded as the collection's "model": change it whenever the vector layout changes, so that an
# index built with the old layout is refused on open (and rebuilt, see service/territories/index_runtime).
FEATURES_MODEL = "territory-structure-v1"

KINDS = ("commune", "epci", "ept", "departement", "region", "syndicat_mixte", "other")
EPCI_FORMS = ("CC", "CA", "CU", "METRO")
RURAL_CLASSES = ("rural", "intermediaire", "urbain")

KEYWORD_FIELDS = ("code", "kind", "departement", "region", "epci", "epci_form", "rural_class")
INTEGER_FIELDS = ("population", "territory_id")

# Squared block weights: the cosine of two vectors with a population is
#   0.15·cos(π/10·Δ) + 0.35·cos(π/4·Δ) + 0.15·[same kind] + 0.20·[same EPCI form] + 0.15·[same class]
# where Δ = |log10 pop_a − log10 pop_b|: it decreases with Δ up to 4 decades (the fast wave's half
# turn; the slow one's is 10), which covers every pair of territories of the same kind that matters
# (a population range filter would avoid the wrap-around but makes the query three times slower).
_W_POP_SLOW = 0.15
_W_POP_FAST = 0.35
_W_KIND = 0.15
_W_FORM = 0.20
_W_CLASS = 0.15
DIMENSION = 2 + 2 + len(KINDS) + (len(EPCI_FORMS) + 1) + (len(RURAL_CLASSES) + 1)


@dataclass(frozen=True, slots=True)
class TerritoryFacts:
    """What the similarity score needs to know about one territory (plain data)."""

    territory_id: int
    code: str
    name: str
    kind: str
    population: int | None = None
    departement: str | None = None
    region: str | None = None
    epci: str | None = None  # code (SIREN) of the intercommunality it belongs to (communes)
    epci_name: str | None = None
    epci_form: str | None = None  # its own form (EPCI) or the form of its EPCI (communes)
    rural_class: str | None = None

    def payload(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if v is not None}
        data["fp"] = self.fingerprint()
        return data

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> TerritoryFacts:
        population = payload.get("population")
        return cls(
            territory_id=int(payload["territory_id"]),
            code=str(payload["code"]),
            name=str(payload.get("name", payload["code"])),
            kind=str(payload["kind"]),
            population=int(population) if population is not None else None,
            departement=payload.get("departement"),
            region=payload.get("region"),
            epci=payload.get("epci"),
            epci_name=payload.get("epci_name"),
            epci_form=payload.get("epci_form"),
            rural_class=payload.get("rural_class"),
        )

    def fingerprint(self) -> str:
        """Changes whenever a fact or the vector layout changes: the sync rewrites only those points."""
        raw = "\x1f".join(str(v) for v in (FEATURES_MODEL, *asdict(self).values()))
        return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


def territories_spec() -> CollectionSpec:
    return CollectionSpec(
        name=TERRITORIES_COLLECTION,
        dimension=DIMENSION,
        sparse=False,
        model_name=FEATURES_MODEL,
        keyword_fields=KEYWORD_FIELDS,
        integer_fields=INTEGER_FIELDS,
    )


def territory_point_id(code: str) -> str:
    return stable_point_id("territory", code)


def _one_hot(value: str | None, values: Sequence[str], *, with_none: bool) -> list[float]:
    slots = [0.0] * (len(values) + (1 if with_none else 0))
    if value in values:
        slots[values.index(value)] = 1.0
    elif with_none:
        slots[-1] = 1.0
    return slots


def feature_vector(facts: TerritoryFacts) -> npt.NDArray[np.float32]:
    """[population waves | kind one-hot | EPCI form one-hot (+none) | rural class one-hot (+none)],
    each block scaled by the square root of its weight (unit norm when the population is known)."""
    parts: list[float] = []
    if facts.population is not None and facts.population > 0:
        x = math.log10(facts.population)
        slow, fast = math.pi / 10 * x, math.pi / 4 * x
        parts += [math.sqrt(_W_POP_SLOW) * math.cos(slow), math.sqrt(_W_POP_SLOW) * math.sin(slow)]
        parts += [math.sqrt(_W_POP_FAST) * math.cos(fast), math.sqrt(_W_POP_FAST) * math.sin(fast)]
    else:
        parts += [0.0] * 4  # unknown size: closeness comes from the other features only
    parts += [math.sqrt(_W_KIND) * v for v in _one_hot(facts.kind, KINDS, with_none=False)]
    parts += [math.sqrt(_W_FORM) * v for v in _one_hot(facts.epci_form, EPCI_FORMS, with_none=True)]
    parts += [math.sqrt(_W_CLASS) * v for v in _one_hot(facts.rural_class, RURAL_CLASSES, with_none=True)]
    return np.asarray(parts, dtype=np.float32)


@dataclass(frozen=True, slots=True)
class SyncReport:
    written: int
    deleted: int
    unchanged: int
    complete: bool  # False when stopped early (the next sync resumes)


@dataclass(frozen=True, slots=True)
class Candidate:
    facts: TerritoryFacts
    cosine: float


class TerritoryIndex:
    """The territory collection: kept in step with the database by `sync`, queried by `nearest`."""

    def __init__(self, index: VectorIndex, *, batch_size: int = 1_000) -> None:
        self.index = index
        self.batch_size = batch_size

    def count(self) -> int:
        return self.index.count()

    def sync(
        self, facts: Iterable[TerritoryFacts], *, should_stop: Callable[[], bool] | None = None
    ) -> SyncReport:
        """Write the points whose facts changed (by fingerprint), delete territories that are gone.

        Idempotent and resumable: stopped half-way, the next call writes only what is still missing."""
        stored = {pid: p.get("fp") for pid, p in self.index.scroll_payloads(["fp"])}
        wanted: dict[str, TerritoryFacts] = {territory_point_id(f.code): f for f in facts}
        todo = [(pid, f) for pid, f in wanted.items() if stored.get(pid) != f.fingerprint()]
        written = 0
        for start in range(0, len(todo), self.batch_size):
            if should_stop and should_stop():
                return SyncReport(written, 0, len(wanted) - len(todo), complete=False)
            chunk = todo[start : start + self.batch_size]
            self.index.upsert(
                [
                    IndexPoint(point_id=pid, dense=feature_vector(f), sparse=None, payload=f.payload())
                    for pid, f in chunk
                ]
            )
            written += len(chunk)
        gone = [pid for pid in stored if pid not in wanted]
        if gone:
            self.index.delete_ids(gone)
        return SyncReport(written, len(gone), len(wanted) - len(todo), complete=True)

    def nearest(
        self,
        facts: TerritoryFacts,
        *,
        limit: int,
        kinds: Sequence[str],
        same: Mapping[str, str] | None = None,
        exclude_codes: Sequence[str] = (),
    ) -> list[Candidate]:
        """The `limit` territories whose feature vectors are closest to `facts`.

        kinds: allowed kinds; same: payload fields that must equal a value (e.g. {"departement": "83"})."""
        any_of: dict[str, Sequence[str | int]] = {"kind": list(kinds)}
        for name, value in (same or {}).items():
            any_of[name] = [value]
        flt = FieldFilter(any_of=any_of, none_of={"code": list(exclude_codes)})
        hits = self.index.query(dense=feature_vector(facts), sparse=None, flt=flt, limit=limit, mode="dense")
        return [Candidate(TerritoryFacts.from_payload(h.payload), h.score) for h in hits]
