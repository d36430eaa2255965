"""/api/v1/collections: curated selections of experiences (list, read, create, edit), their Atom feed and
their CSV export."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response, status

from service.api.atom import ATOM_MEDIA_TYPE
from service.api.auth import CurrentPrincipal
from service.api.idempotency import IdempotentRoute
from service.api.pagination import Cursor, Limit, Page, keyset_page
from service.api.since import UpdatedSince, updated_page
from service.api.transport import public_base, public_url_of
from service.authz.permissions import Action, authorize
from service.collections import service
from service.collections.models import Collection
from service.collections.schemas import CollectionIn, CollectionOut, CollectionSummary
from service.db.session import DbSession
from service.opendata.atom import atom_feed
from service.opendata.licences import licence_name

router = APIRouter(tags=["collections"], route_class=IdempotentRoute)
Slug = Annotated[str, Path(min_length=1, max_length=140, description="Identifiant (slug) de la sélection.")]


class CollectionAtomResponse(Response):
    media_type = ATOM_MEDIA_TYPE


class CollectionCsvResponse(Response):
    media_type = "text/csv; charset=utf-8"


def _doc(media_type: str, example: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {media_type: {"schema": {"type": "string"}, "example": example}}}}


@router.get(
    "/collections",
    response_model=Page[CollectionSummary],
    operation_id="listCollections",
    summary="Sélections publiques d'expériences",
)
def list_collections(
    session: DbSession, limit: Limit = 20, cursor: Cursor = None, updated_since: UpdatedSince = None
) -> Page[CollectionSummary]:
    if updated_since is not None:
        return updated_page(
            session,
            service.listed_statement(),
            Collection,
            since=updated_since,
            limit=limit,
            cursor=cursor,
            to_item=service.summary,
        )
    return keyset_page(
        session,
        service.listed_statement(),
        Collection.id,
        limit=limit,
        cursor=cursor,
        to_item=service.summary,
    )


@router.get(
    "/collections/{slug}",
    response_model=CollectionOut,
    operation_id="getCollection",
    summary="Une sélection (publique, ou non listée : lisible par son lien)",
)
def read_collection(session: DbSession, slug: Slug) -> CollectionOut:
    return service.collection_out(service.get_collection(session, slug))


@router.post(
    "/collections",
    response_model=CollectionOut,
    status_code=status.HTTP_201_CREATED,
    operation_id="createCollection",
    summary="Créer une sélection (modérateurs, administrateurs de l'organisation qui la tient)",
)
def create_collection(session: DbSession, principal: CurrentPrincipal, data: CollectionIn) -> CollectionOut:
    authorize(principal, Action.manage_collection, organisation_id=data.organisation_id)
    collection = service.apply_collection(session, Collection(created_by_id=principal.user_id), data)
    return service.collection_out(collection)


@router.put(
    "/collections/{slug}",
    response_model=CollectionOut,
    operation_id="updateCollection",
    summary="Modifier une sélection (son contenu est remplacé)",
)
def update_collection(
    session: DbSession, principal: CurrentPrincipal, slug: Slug, data: CollectionIn
) -> CollectionOut:
    collection = service.get_collection(session, slug)
    authorize(principal, Action.manage_collection, organisation_id=collection.organisation_id)
    if data.organisation_id != collection.organisation_id:  # handing it over needs rights on both sides
        authorize(principal, Action.manage_collection, organisation_id=data.organisation_id)
    return service.collection_out(service.apply_collection(session, collection, data))


@router.get(
    "/feeds/collections/{slug}.atom",
    response_class=CollectionAtomResponse,
    operation_id="getCollectionFeed",
    summary="Flux Atom d'une sélection",
    responses=_doc(ATOM_MEDIA_TYPE, '<?xml version="1.0" encoding="utf-8"?><feed xmlns="…">…</feed>'),
)
def collection_feed(request: Request, session: DbSession, slug: Slug) -> CollectionAtomResponse:
    collection = service.get_collection(session, slug)
    base = public_base(request)
    body = atom_feed(
        title=f"Retex — {collection.title}",
        subtitle="Une sélection d'expériences, dans l'ordre choisi par ses auteurs.",
        self_url=public_url_of(request),
        page_url=f"{base}/selections/{collection.slug}",
        base_url=base,
        cases=[i.case_study for i in service.published_items(collection)],
    )
    return CollectionAtomResponse(body)


@router.get(
    "/collections/{slug}/export.csv",
    response_class=CollectionCsvResponse,
    operation_id="exportCollection",
    summary="Export CSV d'une sélection (une ligne par expérience, avec sa licence)",
    responses=_doc("text/csv", "position,titre,url,organisation,commentaire,licence\r\n1,…\r\n"),
)
def export_collection(request: Request, session: DbSession, slug: Slug) -> CollectionCsvResponse:
    collection = service.get_collection(session, slug)
    base = public_base(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["position", "titre", "url", "organisation", "commentaire", "licence"])
    for n, item in enumerate(service.published_items(collection), start=1):
        case = item.case_study
        org = case.organisation.name if case.organisation is not None else ""
        writer.writerow(
            [n, case.title, f"{base}/experiences/{case.slug}", org, item.comment, licence_name(case.licence)]
        )
    return CollectionCsvResponse(
        out.getvalue(),
        headers={"Content-Disposition": f'attachment; filename="selection-{collection.slug}.csv"'},
    )
