"""/api/v1/territories: lookup and search of the territories (reference data). What a territory does
and who is like it — profiles, similar territories, their experiences, mutualisation, the fit of a
case — is served by service/territory_insights/api.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.api.pagination import Cursor, Limit, Page, decode_int_cursor, encode_cursor
from service.api.since import UpdatedSince, updated_page
from service.db.session import DbSession
from service.territories import service
from service.territories.models import Territory, TerritoryKind
from service.territories.schemas import TerritoryOut

router = APIRouter(prefix="/territories", tags=["territories"])


@router.get("", response_model=Page[TerritoryOut], summary="Chercher des territoires")
def list_territories(
    session: DbSession,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Début du nom (sans accents ni casse), code INSEE/SIREN ou code postal.",
        ),
    ] = None,
    kind: TerritoryKind | None = None,
    departement: Annotated[str | None, Query(max_length=3)] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
    updated_since: UpdatedSince = None,
) -> Page[TerritoryOut]:
    if updated_since is not None:
        return updated_page(
            session,
            service.search_statement(q=q, kind=kind, departement=departement),
            Territory,
            since=updated_since,
            limit=limit,
            cursor=cursor,
            to_item=service.to_out,
        )
    # Ordered by population, so the cursor is an offset (stable for this read-mostly reference data).
    offset = decode_int_cursor(cursor) or 0
    rows, total = service.search(session, q=q, kind=kind, departement=departement, limit=limit, offset=offset)
    next_offset = offset + len(rows)
    return Page(
        items=[service.to_out(t) for t in rows],
        total=total,
        next=encode_cursor([next_offset]) if next_offset < total else None,
    )


@router.get("/{code}", response_model=TerritoryOut, summary="Un territoire par son code")
def read_territory(session: DbSession, code: str) -> TerritoryOut:
    return service.to_out(service.get_by_code(session, code=code))
