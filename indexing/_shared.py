"""Checks and conversions shared by the two implementations, so both behave the same."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from indexing.index_types import (
    CollectionSpec,
    DenseVector,
    FacetValue,
    FieldFilter,
    Fusion,
    SearchMode,
    SparseVector,
)

DENSE = "dense"
SPARSE = "sparse"
# RRF constant: 60 is the value of the original paper (Cormack et al.); Qdrant's own default is 2,
# which lets the first rank of either list dominate. Passed explicitly so both engines agree.
RRF_K = 60
UPSERT_BATCH = 512
SCROLL_BATCH = 1_000

T = TypeVar("T")


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def dense_list(vector: DenseVector, spec: CollectionSpec) -> list[float]:
    arr = np.asarray(vector, dtype=np.float32)
    if arr.shape != (spec.dimension,):
        raise ValueError(f"dense vector has shape {arr.shape}, the index expects ({spec.dimension},)")
    if not np.isfinite(arr).all():
        raise ValueError("dense vector contains NaN or infinity")
    result: list[float] = arr.tolist()
    return result


def usable_sparse(sparse: SparseVector | None, spec: CollectionSpec) -> SparseVector | None:
    """The sparse vector to store or send, or None when there is nothing lexical to use."""
    if sparse is None or sparse.is_empty():
        return None
    if not spec.sparse:
        raise ValueError(f"index {spec.name!r} has no sparse vectors (spec.sparse is False)")
    return sparse


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """What to actually run: 'dense', 'lexical', 'hybrid' or 'empty' (nothing can match)."""

    kind: str
    dense: list[float] | None
    sparse: SparseVector | None
    limit: int
    prefetch_limit: int
    fusion: Fusion


def plan_query(
    spec: CollectionSpec,
    *,
    dense: DenseVector | None,
    sparse: SparseVector | None,
    limit: int,
    mode: SearchMode,
    fusion: Fusion,
    prefetch_limit: int,
) -> QueryPlan:
    if limit <= 0:
        raise ValueError("limit must be positive")
    if fusion not in ("rrf", "dbsf"):
        raise ValueError(f"unknown fusion {fusion!r}")
    if mode in ("hybrid", "lexical") and not spec.sparse:
        raise ValueError(f"mode {mode!r} needs sparse vectors; index {spec.name!r} has none")
    prefetch = max(prefetch_limit, limit)
    dense_vec = None if dense is None else dense_list(dense, spec)
    sparse_vec = None if sparse is None or sparse.is_empty() else sparse
    if mode == "dense":
        if dense_vec is None:
            raise ValueError("mode 'dense' needs a dense query vector")
        return QueryPlan("dense", dense_vec, None, limit, prefetch, fusion)
    if mode == "lexical":
        # A query made only of stop words has no terms: nothing can match lexically.
        kind = "empty" if sparse_vec is None else "lexical"
        return QueryPlan(kind, None, sparse_vec, limit, prefetch, fusion)
    if mode == "hybrid":
        if dense_vec is None:
            raise ValueError("mode 'hybrid' needs a dense query vector")
        # No query terms (only stop words): the dense side alone still makes sense.
        kind = "dense" if sparse_vec is None else "hybrid"
        return QueryPlan(kind, dense_vec, sparse_vec, limit, prefetch, fusion)
    raise ValueError(f"unknown search mode {mode!r}")


def check_filter(flt: FieldFilter) -> None:
    for name, values in list(flt.any_of.items()) + list(flt.none_of.items()):
        if isinstance(values, (str, bytes)):
            raise TypeError(f"filter values for {name!r} must be a list, not a string")
        kinds = {isinstance(v, int) and not isinstance(v, bool) for v in values}
        if len(kinds) > 1 or any(isinstance(v, bool) for v in values):
            raise TypeError(f"filter values for {name!r} must be all strings or all integers")
    for name, (low, high) in flt.ranges.items():
        if low is None and high is None:
            raise ValueError(f"range on {name!r} has neither bound")


def match_values(values: Iterable[FacetValue]) -> list[str] | list[int]:
    vals = list(values)
    if vals and isinstance(vals[0], int):
        return [int(v) for v in vals]
    return [str(v) for v in vals]


def check_facet_field(spec: CollectionSpec, field: str) -> None:
    # Qdrant facets only on indexed fields; refuse early with the same message on both engines.
    if field not in spec.indexed_fields:
        raise ValueError(f"facet field {field!r} is not a keyword or integer field of index {spec.name!r}")


def facet_dict(pairs: Iterable[tuple[Any, int]]) -> dict[FacetValue, int]:
    """Sorted by count desc, then value, so both engines return the same order."""
    ordered = sorted(pairs, key=lambda kv: (-kv[1], str(kv[0])))
    return {value: count for value, count in ordered}


def check_not_empty(flt: FieldFilter, what: str) -> None:
    if flt.is_empty():
        raise ValueError(f"{what} needs a non-empty filter (use drop_index to remove everything)")


def as_float32(values: Sequence[float]) -> npt.NDArray[np.float32]:
    return np.asarray(values, dtype=np.float32)
