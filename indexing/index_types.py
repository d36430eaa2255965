"""Plain data types shared by every vector-index implementation.

Nothing here imports a Qdrant library: the rest of Retex speaks only these types.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a folder name for the embedded engine, too
SearchMode = Literal["hybrid", "dense", "lexical"]
Fusion = Literal["rrf", "dbsf"]
FacetValue = str | int
DenseVector = Sequence[float] | npt.NDArray[np.floating[Any]]


@dataclass(frozen=True, slots=True)
class SparseVector:
    """Lexical vector: token ids (unique, < 2**31) and their weights."""

    indices: list[int]
    values: list[float]

    def __post_init__(self) -> None:
        if len(self.indices) != len(self.values):
            raise ValueError("SparseVector indices and values differ in length")

    def is_empty(self) -> bool:
        return not self.indices


@dataclass(slots=True)
class IndexPoint:
    """One indexed passage. point_id is a UUID string (Qdrant accepts UUIDs or ints only)."""

    point_id: str
    dense: DenseVector
    sparse: SparseVector | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FieldFilter:
    """Conjunction of payload conditions.

    any_of[f]: f matches one of the values (a list field matches if any element does);
    ranges[f]: inclusive (min, max) on an integer field, None = open end;
    none_of[f]: f matches none of the values.
    An empty value list in any_of matches nothing; in none_of it excludes nothing.
    """

    any_of: Mapping[str, Sequence[FacetValue]] = field(default_factory=dict)
    ranges: Mapping[str, tuple[int | None, int | None]] = field(default_factory=dict)
    none_of: Mapping[str, Sequence[FacetValue]] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (self.any_of or self.ranges or any(self.none_of.values()))


@dataclass(frozen=True, slots=True)
class Hit:
    point_id: str
    score: float
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CollectionSpec:
    """What a collection is built with; recorded beside the data and checked on open."""

    name: str
    dimension: int
    sparse: bool
    model_name: str
    keyword_fields: tuple[str, ...] = ()
    integer_fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Accept lists (e.g. from JSON or settings) but keep the spec hashable and comparable.
        object.__setattr__(self, "keyword_fields", tuple(self.keyword_fields))
        object.__setattr__(self, "integer_fields", tuple(self.integer_fields))
        if self.dimension <= 0:
            raise ValueError("dimension must be positive")
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"collection name {self.name!r}: use letters, digits, '-' and '_' only")

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dimension": self.dimension,
            "sparse": self.sparse,
            "model_name": self.model_name,
            "keyword_fields": list(self.keyword_fields),
            "integer_fields": list(self.integer_fields),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CollectionSpec:
        return cls(
            name=str(data["name"]),
            dimension=int(data["dimension"]),
            sparse=bool(data["sparse"]),
            model_name=str(data["model_name"]),
            keyword_fields=tuple(data.get("keyword_fields", ())),
            integer_fields=tuple(data.get("integer_fields", ())),
        )

    def same_vectors(self, other: CollectionSpec) -> bool:
        """Whether the stored vectors of one fit the other (payload fields may differ: they are added)."""
        return (self.model_name, self.dimension, self.sparse) == (
            other.model_name,
            other.dimension,
            other.sparse,
        )

    @property
    def indexed_fields(self) -> tuple[str, ...]:
        return self.keyword_fields + self.integer_fields


class VectorIndexError(Exception):
    """Base class of vector-index errors.

    Subclasses keep their constructor arguments in `_init_args`, so that an error raised in the index
    host process crosses its socket whole (pickle rebuilds an exception from these arguments)."""

    _init_args: tuple[Any, ...] = ()

    def __reduce__(self) -> str | tuple[Any, ...]:
        if self._init_args:
            return (type(self), self._init_args)
        return super().__reduce__()


class IndexModelMismatch(VectorIndexError):
    """The stored collection was built with another model, dimension or sparse setting."""

    def __init__(self, stored: CollectionSpec | None, requested: CollectionSpec, where: str) -> None:
        self._init_args = (stored, requested, where)
        self.stored = stored
        self.requested = requested
        if stored is None:
            found = "no recorded model"
        else:
            found = f"model {stored.model_name!r}, dimension {stored.dimension}, sparse={stored.sparse}"
        super().__init__(
            f"the index {requested.name!r} at {where} was built with {found}, but this configuration "
            f"uses model {requested.model_name!r}, dimension {requested.dimension}, "
            f"sparse={requested.sparse}; run `retex reindex` to rebuild it"
        )


class IndexLockedError(VectorIndexError):
    """The embedded index is already open (this process or another one)."""

    def __init__(self, where: str) -> None:
        self._init_args = (where,)
        super().__init__(
            f"the embedded index at {where} is already open by another process; "
            "use a Qdrant server (RETEX_QDRANT_URL) for several processes"
        )


class IndexCorruptError(VectorIndexError):
    """The embedded index folder exists but cannot be read (damaged or half-deleted files)."""

    def __init__(self, where: str, cause: str) -> None:
        self._init_args = (where, cause)
        super().__init__(f"the embedded index at {where} cannot be opened ({cause})")
        self.where = where


class IndexUnavailableError(VectorIndexError):
    """The Qdrant server cannot be reached or is not ready (a transient fault: retry later)."""

    def __init__(self, where: str, cause: str) -> None:
        self._init_args = (where, cause)
        super().__init__(f"the search index at {where} is unreachable or not ready ({cause})")


@dataclass(frozen=True, slots=True)
class IndexHostAddress:
    """Where the index host process listens (indexing/index_host.py) and the key of its handshake."""

    address: str
    authkey: bytes


# Fixed namespace so that the same logical passage always gets the same point id (idempotent upserts).
_POINT_NAMESPACE = uuid.UUID("6f1c7d0e-2b1a-5c55-9a4e-7265746578a1")


def stable_point_id(*parts: str | int) -> str:
    """UUID string derived from parts, e.g. stable_point_id(case_id, passage_no)."""
    return str(uuid.uuid5(_POINT_NAMESPACE, "\x1f".join(str(p) for p in parts)))


def canonical_point_id(point_id: str) -> str:
    """Lower-case hyphenated UUID; raises ValueError for anything that is not a UUID."""
    return str(uuid.UUID(str(point_id)))
