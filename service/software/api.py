"""/api/v1/software"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.api.errors import NotFoundError
from service.api.ids import SoftwareId
from service.api.pagination import Cursor, Limit, Page, decode_int_cursor, encode_cursor, keyset_page
from service.api.since import UpdatedSince, updated_page
from service.db.session import DbSession
from service.organisations.schemas import OrganisationRef
from service.software.catalogue import by_name_prefix
from service.software.models import Software
from service.software.schemas import SoftwareOut, SoftwareUserOut
from service.software.users import software_users
from service.territories.schemas import TerritoryRef

router = APIRouter(prefix="/software", tags=["software"])


@router.get("", response_model=Page[SoftwareOut], summary="Lister les logiciels")
def list_software(
    session: DbSession,
    q: Annotated[str | None, Query(max_length=100, description="Début du nom.")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
    updated_since: UpdatedSince = None,
) -> Page[SoftwareOut]:
    if updated_since is not None:
        return updated_page(
            session,
            by_name_prefix(q),
            Software,
            since=updated_since,
            limit=limit,
            cursor=cursor,
            to_item=SoftwareOut.model_validate,
        )
    return keyset_page(
        session,
        by_name_prefix(q),
        Software.id,
        limit=limit,
        cursor=cursor,
        to_item=SoftwareOut.model_validate,
    )


def _get(session: DbSession, software_id: SoftwareId) -> Software:
    software = session.get(Software, software_id)
    if software is None:
        raise NotFoundError(f"Aucun logiciel n° {software_id}.")
    return software


@router.get("/{software_id}", response_model=SoftwareOut, summary="Un logiciel")
def read_software(session: DbSession, software_id: SoftwareId) -> SoftwareOut:
    return SoftwareOut.model_validate(_get(session, software_id))


@router.get(
    "/{software_id}/users",
    response_model=Page[SoftwareUserOut],
    summary="Qui d'autre l'utilise : organisations et leur territoire",
)
def read_software_users(
    session: DbSession, software_id: SoftwareId, limit: Limit = 100, cursor: Cursor = None
) -> Page[SoftwareUserOut]:
    everyone = software_users(session, _get(session, software_id))
    # A computed, ordered list (cases and declared usages merged): the cursor is an offset in it.
    offset = decode_int_cursor(cursor) or 0
    users = everyone[offset : offset + limit]
    after = offset + len(users)
    items = [
        SoftwareUserOut(
            organisation=OrganisationRef.model_validate(u.organisation),
            territory=TerritoryRef.model_validate(u.organisation.territory)
            if u.organisation.territory
            else None,
            via=u.via,
            services=u.services,
            case_ids=u.case_ids,
        )
        for u in users
    ]
    return Page(
        items=items, total=len(everyone), next=encode_cursor([after]) if after < len(everyone) else None
    )
