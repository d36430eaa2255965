"""Keyset pagination with an opaque cursor: {"items": [...], "total": N, "next": cursor | null}."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from service.api.errors import InvalidFieldError
from service.api.ids import MAX_ID

T = TypeVar("T")
M = TypeVar("M")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    next: str | None = None


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidFieldError("curseur de pagination invalide", field="cursor") from exc
    if not isinstance(values, list):
        raise InvalidFieldError("curseur de pagination invalide", field="cursor")
    return values


Limit = Annotated[int, Query(ge=1, le=100, description="Nombre d'éléments par page (1 à 100).")]
Cursor = Annotated[str | None, Query(description="Curseur opaque renvoyé dans `next`.")]


def decode_int_cursor(cursor: str | None) -> int | None:
    values = decode_cursor(cursor)
    if values is None:
        return None
    if (
        len(values) != 1
        or not isinstance(values[0], int)
        or isinstance(values[0], bool)
        or not 0 <= values[0] <= MAX_ID  # no row has a larger id; SQLite overflows past 2^63
    ):
        raise InvalidFieldError("curseur de pagination invalide", field="cursor")
    return values[0]


def keyset_page(
    session: Session,
    stmt: Select[M],
    id_column: InstrumentedAttribute[int],
    *,
    limit: int,
    cursor: str | None,
    to_item: Callable[[M], T],
    newest_first: bool = False,
) -> Page[T]:
    """One page of `stmt` ordered by id, after the id carried by `cursor`."""
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    after = decode_int_cursor(cursor)
    if after is not None:
        stmt = stmt.where(id_column < after if newest_first else id_column > after)
    order = id_column.desc() if newest_first else id_column.asc()
    rows = list(session.scalars(stmt.order_by(order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=[to_item(r) for r in rows],
        total=total,
        next=encode_cursor([getattr(rows[-1], id_column.key)]) if more else None,
    )
