"""/api/v1/software"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from service.api.errors import NotFoundError
from service.api.pagination import Cursor, Limit, Page, keyset_page
from service.db.session import DbSession
from service.software.models import Software
from service.software.schemas import SoftwareOut
from service.textkeys import slugify

router = APIRouter(prefix="/software", tags=["software"])


@router.get("", response_model=Page[SoftwareOut], summary="Lister les logiciels")
def list_software(
    session: DbSession,
    q: Annotated[str | None, Query(max_length=100, description="Début du nom.")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[SoftwareOut]:
    stmt = select(Software)
    if q:
        key = slugify(q)
        stmt = stmt.where(Software.slug >= key, Software.slug < key + "\uffff")
    return keyset_page(
        session, stmt, Software.id, limit=limit, cursor=cursor, to_item=SoftwareOut.model_validate
    )


@router.get("/{software_id}", response_model=SoftwareOut, summary="Un logiciel")
def read_software(session: DbSession, software_id: int) -> SoftwareOut:
    software = session.get(Software, software_id)
    if software is None:
        raise NotFoundError(f"Aucun logiciel n° {software_id}.")
    return SoftwareOut.model_validate(software)
