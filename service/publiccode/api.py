"""/api/v1/code-forges, /api/v1/code-repositories and /api/v1/software/{id}/publishers: the code that
local authorities publish, and who publishes a software."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.api.errors import NotFoundError
from service.api.ids import MAX_ID, SoftwareId
from service.api.pagination import Cursor, Limit, Page, keyset_page
from service.db.session import DbSession
from service.publiccode import service
from service.publiccode.models import CodeRepository
from service.publiccode.schemas import CodeForgeOut, CodeRepositoryOut, SoftwarePublisherOut
from service.software.models import Software
from service.territories import service as territories

router = APIRouter(tags=["public-code"])


@router.get("/code-forges", response_model=list[CodeForgeOut], summary="Forges de code des collectivités")
def list_forges(session: DbSession) -> list[CodeForgeOut]:
    return service.forges(session)


@router.get(
    "/code-repositories", response_model=Page[CodeRepositoryOut], summary="Dépôts de code des collectivités"
)
def list_repositories(
    session: DbSession,
    forge: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Login de la forge.")
    ] = None,
    territory: Annotated[
        str | None, Query(min_length=1, max_length=20, description="Code du territoire de la collectivité.")
    ] = None,
    software: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Identifiant d'un logiciel du catalogue.")
    ] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[CodeRepositoryOut]:
    found = territories.filter_territory(session, territory)
    stmt = service.repositories_statement(session, forge=forge, territory=found, software_id=software)
    return keyset_page(
        session, stmt, CodeRepository.id, limit=limit, cursor=cursor, to_item=service.repository_out
    )


@router.get(
    "/software/{software_id}/publishers",
    response_model=list[SoftwarePublisherOut],
    summary="Qui publie ce logiciel : les collectivités dont la forge porte son code",
)
def read_publishers(session: DbSession, software_id: SoftwareId) -> list[SoftwarePublisherOut]:
    software = session.get(Software, software_id)
    if software is None:
        raise NotFoundError(f"Aucun logiciel n° {software_id}.")
    return [service.publisher_out(p) for p in service.publishers(session, software)]
