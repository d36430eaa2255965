"""/api/v1/funded-projects: digital projects funded by the State (DGCL), filtered and paginated; a
verified member turns one into a draft experience."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from service.api.auth import AppSettings, CurrentPrincipal
from service.api.idempotency import IdempotentRoute
from service.api.ids import MAX_ID
from service.api.pagination import Cursor, Limit, Page, keyset_page
from service.casestudies.schemas import CaseStudyOut
from service.db.session import DbSession
from service.funding import service
from service.funding.classifier import DigitalCategory
from service.funding.models import FundedProject
from service.funding.schemas import FundedProjectOut
from service.publishing import authoring
from service.territories import service as territories

router = APIRouter(prefix="/funded-projects", tags=["funded-projects"], route_class=IdempotentRoute)
ProjectId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant du projet financé.")]


@router.get("", response_model=Page[FundedProjectOut], summary="Projets numériques financés par l'État")
def list_funded_projects(
    session: DbSession,
    territory: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=20,
            description="Code du territoire (INSEE, SIREN, département) : ses projets et ceux de ses membres",
        ),
    ] = None,
    departement: Annotated[
        str | None, Query(min_length=1, max_length=3, description="Code du département.")
    ] = None,
    region: Annotated[str | None, Query(min_length=1, max_length=3, description="Code de la région.")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Exercice.")] = None,
    category: DigitalCategory | None = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Mots de l'intitulé (sans accents ni casse)."),
    ] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[FundedProjectOut]:
    found = territories.filter_territory(session, territory)
    stmt = service.list_statement(
        territory=found, departement=departement, region=region, year=year, category=category, q=q
    )
    return keyset_page(
        session, stmt, FundedProject.id, limit=limit, cursor=cursor, to_item=service.to_out, newest_first=True
    )


@router.get("/{project_id}", response_model=FundedProjectOut, summary="Un projet financé")
def read_funded_project(session: DbSession, project_id: ProjectId) -> FundedProjectOut:
    return service.to_out(service.get_project(session, project_id))


@router.post(
    "/{project_id}/draft",
    response_model=CaseStudyOut,
    status_code=status.HTTP_201_CREATED,
    summary="Transformer un projet financé en brouillon d'expérience",
)
def draft_from_project(
    session: DbSession, principal: CurrentPrincipal, settings: AppSettings, project_id: ProjectId
) -> CaseStudyOut:
    """Crée un brouillon prérempli (titre, résumé, budget, financement, territoire), à compléter puis à
    soumettre à la modération comme toute expérience."""
    project = service.get_project(session, project_id)
    case = authoring.create_as(session, principal, service.draft_from(project), settings)
    return CaseStudyOut.model_validate(case)
