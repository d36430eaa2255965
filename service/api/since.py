"""`updated_since` on the lists a partner mirrors: the items changed at or after an instant, oldest
change first, in (updated_at, id) order with a keyset cursor over that pair. A walk never repeats or
skips an item: one changed during the walk moves past the cursor and comes again later, with its new
version (what a mirror wants)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query
from pydantic import BeforeValidator
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from service.api.datetimes import as_utc
from service.api.errors import InvalidFieldError
from service.api.ids import MAX_ID
from service.api.pagination import Page, decode_cursor, encode_cursor

T = TypeVar("T")
M = TypeVar("M")

TIMEZONE_REQUIRED = (
    "fuseau horaire obligatoire (RFC 3339) : 2026-12-01T08:00:00Z ou 2026-12-01T09:00:00%2B01:00 "
    "(le « + » s'écrit %2B dans une URL) / timezone required"
)


def parse_instant(value: object) -> datetime:
    """An RFC 3339 timestamp with its offset, in UTC; a clear message for anything else."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            hint = " ; un « + » non encodé devient une espace : écrivez %2B" if " " in value.strip() else ""
            raise ValueError(
                f"instant illisible, attendu au format RFC 3339 (2026-12-01T08:00:00Z){hint}"
            ) from None
    else:
        raise ValueError("instant attendu au format RFC 3339 (2026-12-01T08:00:00Z)")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(TIMEZONE_REQUIRED)
    try:
        return as_utc(parsed)
    except OverflowError:
        raise ValueError("instant hors des dates acceptées") from None


UpdatedSince = Annotated[
    datetime | None,
    BeforeValidator(lambda v: None if v is None else parse_instant(v)),
    Query(
        description="Seulement les éléments créés ou modifiés à cet instant ou après (RFC 3339, fuseau "
        "obligatoire : `2026-12-01T08:00:00Z`), du plus ancien changement au plus récent, dans l'ordre "
        "(updated_at, id) ; le curseur suit cet ordre. Voir le guide : « Tenir un miroir à jour ».",
        examples=["2026-12-01T08:00:00Z"],
    ),
]


def decode_stamp_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    values = decode_cursor(cursor)
    if values is None:
        return None
    try:
        stamp, last_id = values
        if not isinstance(stamp, str) or not isinstance(last_id, int) or isinstance(last_id, bool):
            raise ValueError
        if not 0 <= last_id <= MAX_ID:
            raise ValueError
        return parse_instant(stamp), last_id
    except (ValueError, TypeError) as exc:
        raise InvalidFieldError("curseur de pagination invalide", field="cursor") from exc


def after_stamp(
    stamp_column: InstrumentedAttribute[datetime], id_column: InstrumentedAttribute[int], cursor: str | None
) -> Any:
    """The condition "after the cursor's (stamp, id)", or None without a cursor."""
    after = decode_stamp_cursor(cursor)
    if after is None:
        return None
    stamp, last_id = after
    return or_(stamp_column > stamp, and_(stamp_column == stamp, id_column > last_id))


def stamp_cursor(stamp: datetime, row_id: int) -> str:
    return encode_cursor([as_utc(stamp).isoformat(), row_id])


def updated_page(
    session: Session,
    stmt: Select[M],
    model: Any,
    *,
    since: datetime,
    limit: int,
    cursor: str | None,
    to_item: Callable[[M], T],
) -> Page[T]:
    """One page of `stmt`'s items changed at or after `since`, in (updated_at, id) order."""
    stamp, id_column = model.updated_at, model.id
    stmt = stmt.where(stamp >= since)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    after = after_stamp(stamp, id_column, cursor)
    if after is not None:
        stmt = stmt.where(after)
    rows = list(
        session.scalars(stmt.order_by(None).order_by(stamp.asc(), id_column.asc()).limit(limit + 1)).unique()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    last: Any = rows[-1] if rows else None
    return Page(
        items=[to_item(r) for r in rows],
        total=total,
        next=stamp_cursor(last.updated_at, last.id) if more and last is not None else None,
    )
