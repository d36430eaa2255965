"""/api/v1/removals: what a partner's mirror must delete, oldest first (see docs/api.md, « Tenir un miroir
à jour »)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BeforeValidator
from sqlalchemy import func, select

from service.api.pagination import Cursor, Limit, Page
from service.api.since import after_stamp, parse_instant, stamp_cursor
from service.db.session import DbSession
from service.sync.models import MirroredKind, Removal
from service.sync.schemas import RemovalOut

router = APIRouter(tags=["sync"])

Since = Annotated[
    datetime | None,
    BeforeValidator(lambda v: None if v is None else parse_instant(v)),
    Query(
        description="Seulement les suppressions faites à cet instant ou après (RFC 3339, fuseau "
        "obligatoire : `2026-12-01T08:00:00Z`).",
        examples=["2026-12-01T08:00:00Z"],
    ),
]


@router.get(
    "/removals",
    response_model=Page[RemovalOut],
    operation_id="listRemovals",
    summary="Ce qu'un miroir doit supprimer : expériences retirées, archivées, supprimées…",
    description="Les éléments sortis des listes publiques (expérience retirée, archivée ou supprimée ; "
    "discussion masquée ou supprimée ; sélection devenue non listée ou supprimée ; organisation, "
    "logiciel, territoire, événement ou concours supprimé), du plus ancien au plus récent, dans l'ordre "
    "(removed_at, id). Supprimez votre copie d'un élément sauf si elle est plus récente (`updated_at`) "
    "que `removed_at` : l'élément a été republié depuis.",
)
def list_removals(
    session: DbSession,
    since: Since = None,
    kind: Annotated[MirroredKind | None, Query(description="Une seule sorte d'élément.")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[RemovalOut]:
    stmt = select(Removal)
    if since is not None:
        stmt = stmt.where(Removal.removed_at >= since)
    if kind is not None:
        stmt = stmt.where(Removal.kind == kind)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    after = after_stamp(Removal.removed_at, Removal.id, cursor)
    if after is not None:
        stmt = stmt.where(after)
    rows = list(session.scalars(stmt.order_by(Removal.removed_at, Removal.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=[RemovalOut.model_validate(r) for r in rows],
        total=total,
        next=stamp_cursor(rows[-1].removed_at, rows[-1].id) if more else None,
    )
