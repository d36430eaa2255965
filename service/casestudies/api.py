"""/api/v1/case-studies"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from service.api.auth import AdminOnly, AppSettings, IsAdmin
from service.api.errors import DomainError
from service.api.ids import CaseId
from service.api.pagination import Cursor, Limit, Page, keyset_page
from service.casestudies import service
from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.casestudies.schemas import CaseStudyCreate, CaseStudyOut, CaseStudySummary, CaseStudyUpdate
from service.db.session import DbSession

router = APIRouter(prefix="/case-studies", tags=["case-studies"])


@router.get(
    "",
    response_model=Page[CaseStudySummary],
    summary="Lister les expériences",
    responses={403: {"description": "Expériences non publiées demandées sans jeton."}},
)
def list_case_studies(
    session: DbSession,
    admin: IsAdmin,
    theme: Annotated[str | None, Query(max_length=80, description="Slug d'un thème.")] = None,
    territory: Annotated[
        str | None, Query(max_length=20, description="Code d'un territoire concerné.")
    ] = None,
    status_: Annotated[ProjectStatus | None, Query(alias="status")] = None,
    publication_state: PublicationState = PublicationState.published,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[CaseStudySummary]:
    if publication_state is not PublicationState.published and not admin:
        raise DomainError("Seules les expériences publiées sont visibles sans jeton.", status_code=403)
    stmt = service.list_statement(
        theme=theme, territory=territory, status=status_, publication_state=publication_state
    )
    return keyset_page(
        session,
        stmt,
        CaseStudy.id,
        limit=limit,
        cursor=cursor,
        to_item=CaseStudySummary.model_validate,
        newest_first=True,
    )


@router.get("/by-slug/{slug}", response_model=CaseStudyOut, summary="Une expérience par son slug")
def read_case_study_by_slug(session: DbSession, admin: IsAdmin, slug: str) -> CaseStudyOut:
    case = service.get_case_by_slug(session, slug=slug, include_unpublished=admin)
    return CaseStudyOut.model_validate(case)


@router.get("/{case_id}", response_model=CaseStudyOut, summary="Une expérience")
def read_case_study(session: DbSession, admin: IsAdmin, case_id: CaseId) -> CaseStudyOut:
    return CaseStudyOut.model_validate(service.get_case(session, case_id=case_id, include_unpublished=admin))


@router.post(
    "",
    response_model=CaseStudyOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[AdminOnly],
    summary="Créer une expérience",
)
def create_case_study(session: DbSession, settings: AppSettings, data: CaseStudyCreate) -> CaseStudyOut:
    case = service.create_case(session, data=data, max_section_chars=settings.max_section_chars)
    return CaseStudyOut.model_validate(case)


@router.patch("/{case_id}", response_model=CaseStudyOut, dependencies=[AdminOnly], summary="Modifier")
def update_case_study(
    session: DbSession, settings: AppSettings, case_id: CaseId, data: CaseStudyUpdate
) -> CaseStudyOut:
    case = service.get_case(session, case_id=case_id, include_unpublished=True)
    case = service.update_case(session, case=case, data=data, max_section_chars=settings.max_section_chars)
    return CaseStudyOut.model_validate(case)


@router.delete(
    "/{case_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[AdminOnly], summary="Supprimer"
)
def delete_case_study(session: DbSession, case_id: CaseId) -> Response:
    service.delete_case(session, case=service.get_case(session, case_id=case_id, include_unpublished=True))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
