"""/api/v1/case-studies"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response, status

from service.api.auth import AppSettings, CurrentPrincipal
from service.api.errors import DomainError, NotFoundError
from service.api.idempotency import IdempotentRoute
from service.api.ids import CaseId
from service.api.pagination import Cursor, Limit, Page, keyset_page
from service.api.since import UpdatedSince, updated_page
from service.authz.cases import readable_case, restrict_to_readable
from service.authz.principal import Kind
from service.casestudies import service
from service.casestudies.links import link_details
from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.casestudies.schemas import (
    CaseLinkOrigin,
    CaseStudyCreate,
    CaseStudyOut,
    CaseStudySummary,
    CaseStudyUpdate,
)
from service.db.session import DbSession
from service.moderation import revisions
from service.publishing import authoring

router = APIRouter(prefix="/case-studies", tags=["case-studies"], route_class=IdempotentRoute)
LinkKindParam = Annotated[
    Literal["territory", "theme", "software"], Path(description="territory, theme ou software.")
]
DbIdPath = Annotated[
    int, Path(ge=1, le=2**31 - 1, description="Identifiant du territoire, thème ou logiciel.")
]


@router.get(
    "",
    response_model=Page[CaseStudySummary],
    summary="Lister les expériences",
    responses={403: {"description": "Expériences non publiées demandées sans jeton."}},
)
def list_case_studies(
    session: DbSession,
    principal: CurrentPrincipal,
    theme: Annotated[str | None, Query(max_length=80, description="Slug d'un thème.")] = None,
    territory: Annotated[
        str | None, Query(max_length=20, description="Code d'un territoire concerné.")
    ] = None,
    status_: Annotated[ProjectStatus | None, Query(alias="status")] = None,
    publication_state: PublicationState = PublicationState.published,
    limit: Limit = 20,
    cursor: Cursor = None,
    updated_since: UpdatedSince = None,
) -> Page[CaseStudySummary]:
    if publication_state is not PublicationState.published and principal.kind in (
        Kind.anonymous,
        Kind.partner,
    ):
        raise DomainError(
            "Seules les expériences publiées sont visibles sans être connecté.", status_code=403
        )
    stmt = service.list_statement(
        theme=theme, territory=territory, status=status_, publication_state=publication_state
    )
    stmt = restrict_to_readable(stmt, principal, publication_state)
    if updated_since is not None:
        return updated_page(
            session,
            stmt,
            CaseStudy,
            since=updated_since,
            limit=limit,
            cursor=cursor,
            to_item=CaseStudySummary.model_validate,
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


VersionParam = Annotated[
    Literal["published", "pending"],
    Query(
        description="`published` (par défaut) : le texte publié ; `pending` : la modification en attente "
        "de relecture (auteurs et modérateurs ; 404 s'il n'y en a pas).",
    ),
]


def _case_out(
    session: DbSession, principal: CurrentPrincipal, case: CaseStudy, version: str = "published"
) -> CaseStudyOut:
    """The version asked for, saying which it is; the pending revision's id for those who may see it."""
    pending = revisions.pending_for(session, principal, case)
    if version == "pending":
        if pending is None:
            raise NotFoundError(
                f"Aucune modification en attente de relecture pour l'expérience n° {case.id}."
            )
        return revisions.pending_view(session, case, pending)
    out = CaseStudyOut.model_validate(case)
    out.pending_revision_id = pending.id if pending else None
    return out


@router.get("/by-slug/{slug}", response_model=CaseStudyOut, summary="Une expérience par son slug")
def read_case_study_by_slug(
    session: DbSession, principal: CurrentPrincipal, slug: str, version: VersionParam = "published"
) -> CaseStudyOut:
    case = readable_case(session, principal, slug=slug)
    return _case_out(session, principal, case, version)


@router.get("/{case_id}", response_model=CaseStudyOut, summary="Une expérience")
def read_case_study(
    session: DbSession, principal: CurrentPrincipal, case_id: CaseId, version: VersionParam = "published"
) -> CaseStudyOut:
    case = readable_case(session, principal, case_id=case_id)
    return _case_out(session, principal, case, version)


@router.post(
    "",
    response_model=CaseStudyOut,
    status_code=status.HTTP_201_CREATED,
    summary="Créer une expérience",
    description="Membre (e-mail confirmé) : brouillon ou soumise, au nom d'une de ses organisations ; "
    "modérateur : aussi publiée directement.",
)
def create_case_study(
    session: DbSession, settings: AppSettings, principal: CurrentPrincipal, data: CaseStudyCreate
) -> CaseStudyOut:
    return CaseStudyOut.model_validate(authoring.create_as(session, principal, data, settings))


@router.patch(
    "/{case_id}",
    response_model=CaseStudyOut,
    summary="Modifier",
    description="Auteur, membres de l'organisation porteuse, administrateurs. Changer `publication_state` "
    "suit le circuit de modération (voir `/case-studies/{id}/transitions`). Une expérience **publiée** "
    "modifiée par ses membres garde son texte publié jusqu'à la relecture : la réponse est alors la "
    'version en attente (`version: "pending"`) ; les modérateurs et administrateurs modifient '
    "directement (la modification est inscrite à l'historique).",
)
def update_case_study(
    session: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    case_id: CaseId,
    data: CaseStudyUpdate,
) -> CaseStudyOut:
    case = readable_case(session, principal, case_id=case_id)
    edit = authoring.update_as(session, principal, case, data, settings)
    return _case_out(session, principal, edit.case, "pending" if edit.pending else "published")


@router.get(
    "/{case_id}/links",
    response_model=list[CaseLinkOrigin],
    summary="Liens d'une expérience et leur origine",
    description="Territoires, thèmes et logiciels de l'expérience, chacun avec son origine : déclaré "
    "(par l'auteur ou la source), détecté dans le texte par Retex (« suggéré », avec une confiance pour "
    "les territoires) ou confirmé par un auteur.",
)
def read_case_links(session: DbSession, principal: CurrentPrincipal, case_id: CaseId) -> list[CaseLinkOrigin]:
    case = readable_case(session, principal, case_id=case_id)
    return [CaseLinkOrigin.model_validate(d) for d in link_details(session, case)]


@router.post(
    "/{case_id}/links/{kind}/{target_id}/confirm",
    response_model=list[CaseLinkOrigin],
    summary="Confirmer un lien suggéré",
    description="Auteur, membres de l'organisation porteuse, administrateurs : le lien suggéré devient "
    "celui de l'auteur (il reste même si le texte change). 409 si le lien n'est pas une suggestion.",
)
def confirm_case_link(
    session: DbSession, principal: CurrentPrincipal, case_id: CaseId, kind: LinkKindParam, target_id: DbIdPath
) -> list[CaseLinkOrigin]:
    case = readable_case(session, principal, case_id=case_id)
    authoring.review_link_as(session, principal, case, kind, target_id, keep=True)
    return [CaseLinkOrigin.model_validate(d) for d in link_details(session, case)]


@router.delete(
    "/{case_id}/links/{kind}/{target_id}",
    response_model=list[CaseLinkOrigin],
    summary="Retirer un lien suggéré",
    description="Mêmes droits que la confirmation ; seuls les liens suggérés se retirent ici (les autres "
    "se modifient avec PATCH).",
)
def dismiss_case_link(
    session: DbSession, principal: CurrentPrincipal, case_id: CaseId, kind: LinkKindParam, target_id: DbIdPath
) -> list[CaseLinkOrigin]:
    case = readable_case(session, principal, case_id=case_id)
    authoring.review_link_as(session, principal, case, kind, target_id, keep=False)
    return [CaseLinkOrigin.model_validate(d) for d in link_details(session, case)]


@router.delete(
    "/{case_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Supprimer",
    description="Administrateurs seulement (les auteurs archivent).",
)
def delete_case_study(session: DbSession, principal: CurrentPrincipal, case_id: CaseId) -> Response:
    authoring.delete_as(session, principal, readable_case(session, principal, case_id=case_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
