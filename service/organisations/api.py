"""/api/v1/organisations"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from service.api.errors import NotFoundError
from service.api.ids import OrganisationId
from service.api.pagination import Cursor, Limit, Page, keyset_page
from service.api.since import UpdatedSince, updated_page
from service.db.session import DbSession
from service.organisations.models import Organisation, OrganisationKind
from service.organisations.schemas import OrganisationOut
from service.textkeys import slugify

router = APIRouter(prefix="/organisations", tags=["organisations"])


@router.get("", response_model=Page[OrganisationOut], summary="Lister les organisations")
def list_organisations(
    session: DbSession,
    q: Annotated[str | None, Query(max_length=100, description="Début du nom.")] = None,
    kind: OrganisationKind | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
    updated_since: UpdatedSince = None,
) -> Page[OrganisationOut]:
    stmt = select(Organisation)
    if q:
        key = slugify(q)
        stmt = stmt.where(Organisation.slug >= key, Organisation.slug < key + "\uffff")
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    if updated_since is not None:
        return updated_page(
            session,
            stmt,
            Organisation,
            since=updated_since,
            limit=limit,
            cursor=cursor,
            to_item=OrganisationOut.model_validate,
        )
    return keyset_page(
        session, stmt, Organisation.id, limit=limit, cursor=cursor, to_item=OrganisationOut.model_validate
    )


@router.get("/{organisation_id}", response_model=OrganisationOut, summary="Une organisation")
def read_organisation(session: DbSession, organisation_id: OrganisationId) -> OrganisationOut:
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFoundError(f"Aucune organisation n° {organisation_id}.")
    return OrganisationOut.model_validate(org)
