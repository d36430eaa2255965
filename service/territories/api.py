"""/api/v1/territories: lookup and search; profiles, similar territories, experiences from similar
territories, mutualisation partners; and /case-studies/{id}/fit."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from indexing.territory_index import TerritoryIndex
from indexing.vector_index import VectorIndex
from service.api.auth import AppSettings, CurrentPrincipal
from service.api.errors import InvalidFieldError
from service.api.ids import CaseId
from service.api.pagination import Cursor, Limit, Page, decode_int_cursor, encode_cursor
from service.api.since import UpdatedSince, updated_page
from service.casestudies.authoring import readable_case
from service.casestudies.schemas import CaseStudySummary
from service.db.session import DbSession
from service.funding import service as funding
from service.pooling import service as pooling
from service.pooling.schemas import PoolingOfferOut
from service.ratelimit.budgets import QuerySearchBudget
from service.search.service import check_query
from service.territories import service
from service.territories.activity_schemas import (
    CaseFit,
    Experience,
    ExperiencesResponse,
    FitMatch,
    FundedExperience,
    MutualisationPartner,
    MutualisationResponse,
    PeerRef,
    TerritoryProfile,
)
from service.territories.experiences import experiences_for, funded_for
from service.territories.features import facts_of
from service.territories.fit import case_fit
from service.territories.index_runtime import get_territory_index
from service.territories.models import Territory, TerritoryKind
from service.territories.mutualisation import find_partners, pooling_near
from service.territories.outputs import brief, parts, similar_item
from service.territories.profile import territory_profile
from service.territories.schemas import SimilarTerritoriesResponse, TerritoryOut
from service.territories.similarity import Peer, allowed_kinds, similar_territories

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


# --- profiles, similar territories, experiences, mutualisation ------------------------------------

Scope = Annotated[
    Literal["france", "region", "departement"],
    Query(description="france (défaut) : partout ; region, departement : dans son périmètre."),
]
TerritoryIndexDep = Annotated[TerritoryIndex, Depends(get_territory_index)]


def passages_index(request: Request) -> VectorIndex | None:
    """The passage index, for thematic vectors; None while the search engine starts."""
    engine = getattr(request.app.state, "search", None)
    return engine.index if engine is not None else None


Passages = Annotated[VectorIndex | None, Depends(passages_index)]


@router.get("/{code}/profile", response_model=TerritoryProfile, summary="Profil d'un territoire")
def read_profile(
    session: DbSession,
    passages: Passages,
    code: str,
    include_vector: Annotated[bool, Query(description="Inclure le vecteur thématique.")] = False,
) -> TerritoryProfile:
    return territory_profile(session, passages, code=code, include_vector=include_vector)


@router.get(
    "/{code}/similar", response_model=SimilarTerritoriesResponse, summary="Territoires comparables, expliqués"
)
def read_similar(
    session: DbSession,
    index: TerritoryIndexDep,
    passages: Passages,
    code: str,
    kind: Annotated[
        TerritoryKind | None,
        Query(description="Type des pairs (par défaut le sien ; un type incompatible est refusé)."),
    ] = None,
    scope: Scope = "france",
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> SimilarTerritoriesResponse:
    territory = service.get_by_code(session, code=code)
    viewer, peers = similar_territories(
        session, index, passages, territory=territory, kind=kind, scope=scope, limit=limit
    )
    return SimilarTerritoriesResponse(
        territory=brief(viewer.facts),
        scope=scope,
        kinds=[TerritoryKind(k) for k in allowed_kinds(territory, kind)],
        items=[similar_item(p) for p in peers],
        total=len(peers),
    )


def _peer_ref(peer: Peer) -> PeerRef:
    return PeerRef(
        territory=brief(peer.facts),
        score=round(peer.closeness.total, 4),
        explanation=peer.explanation,
        parts=parts(peer.closeness),
    )


@router.get(
    "/{code}/experiences",
    response_model=ExperiencesResponse,
    summary="Expériences de territoires comparables",
)
def read_experiences(
    session: DbSession,
    passages: Passages,
    code: str,
    scope: Scope = "france",
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> ExperiencesResponse:
    territory = service.get_by_code(session, code=code)
    viewer, items, total = experiences_for(session, passages, territory=territory, scope=scope, limit=limit)
    funded, funded_total = funded_for(session, passages, territory=territory, scope=scope, limit=limit)
    return ExperiencesResponse(
        territory=brief(viewer.facts),
        items=[
            Experience(
                case=CaseStudySummary.model_validate(e.case),
                peer=_peer_ref(e.peer),
            )
            for e in items
        ],
        total=total,
        funded_projects=[
            FundedExperience(project=funding.to_out(f.project), peer=_peer_ref(f.peer)) for f in funded
        ],
        funded_total=funded_total,
    )


@router.get(
    "/{code}/mutualisation",
    dependencies=[QuerySearchBudget],
    response_model=MutualisationResponse,
    summary="Mutualiser : qui, près de chez moi, a le même besoin ou l'a déjà résolu",
)
def read_mutualisation(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    code: str,
    q: Annotated[
        str | None, Query(max_length=300, pattern=r"\S", description="Le besoin, en quelques mots.")
    ] = None,
    theme: Annotated[str | None, Query(max_length=80, description="Slug d'un thème (voir /themes).")] = None,
    scope: Annotated[
        Literal["epci", "departement"],
        Query(description="departement (défaut) : son EPCI puis son département ; epci : son EPCI seul."),
    ] = "departement",
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> MutualisationResponse:
    territory = service.get_by_code(session, code=code)
    query = check_query(q, settings.max_query_chars) if q is not None else None
    partners, total = find_partners(
        session,
        getattr(request.app.state, "search", None),
        territory=territory,
        q=query,
        theme_slug=theme,
        scope=scope,
        limit=limit,
    )
    return MutualisationResponse(
        territory=brief(facts_of(territory)),
        scope=scope,
        query=query,
        theme=theme,
        items=[
            MutualisationPartner(
                territory=brief(p.facts),
                relation=p.relation,
                state=p.state,
                explanation=p.explanation,
                cases=[CaseStudySummary.model_validate(c) for c in p.cases],
            )
            for p in partners
        ],
        total=total,
        pooling=[pooling.to_out(m.offer, m) for m in pooling_near(session, territory)],
    )


@router.get(
    "/{code}/pooling",
    response_model=list[PoolingOfferOut],
    summary="Organismes de mutualisation qui servent les communes de ce territoire",
)
def read_pooling(session: DbSession, code: str) -> list[PoolingOfferOut]:
    territory = service.get_by_code(session, code=code)
    return [pooling.to_out(m.offer, m) for m in pooling_near(session, territory)]


# --- the fit of a case for a reader's territory (under /case-studies) ------------------------------

case_fit_router = APIRouter(prefix="/case-studies", tags=["case-studies"])


@case_fit_router.get(
    "/{case_id}/fit", response_model=CaseFit, summary="Proximité d'une expérience avec mon territoire"
)
def read_case_fit(
    session: DbSession,
    principal: CurrentPrincipal,
    passages: Passages,
    case_id: CaseId,
    territory: Annotated[
        str, Query(min_length=1, max_length=20, description="Code de votre territoire (INSEE, SIREN…).")
    ],
) -> CaseFit:
    case = readable_case(session, principal, case_id=case_id)
    reader = service.find_by_code(session, code=territory)
    if reader is None:
        raise InvalidFieldError(f"aucun territoire avec le code « {territory} »", field="territory")
    fit = case_fit(session, passages, case=case, territory=reader)
    return CaseFit(
        case_id=case.id,
        territory=brief(fit.viewer.facts),
        score=None if fit.score is None else round(fit.score, 4),
        explanation=fit.explanation,
        matches=[
            FitMatch(
                territory=brief(m.facts),
                score=round(m.score, 4),
                explanation=m.explanation,
                parts=parts(m.closeness),
            )
            for m in fit.matches
        ],
    )
