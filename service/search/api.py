"""/api/v1/search, similar cases and duplicate check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from indexing.index_types import SearchMode
from service.api.auth import AppSettings, CurrentPrincipal
from service.api.errors import DomainError, InvalidFieldError
from service.api.idempotency import IdempotentRoute
from service.api.ids import CaseId
from service.api.pagination import decode_int_cursor, encode_cursor
from service.authz.cases import readable_case
from service.casestudies.schemas import CaseStudySummary
from service.db.session import DbSession
from service.ratelimit.budgets import SearchBudget
from service.search import pipeline, service
from service.search import similar as similar_service
from service.search.params import search_filters
from service.search.pipeline import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE
from service.search.schemas import (
    CollectionSearchHit,
    DiscussionHit,
    DuplicateCandidate,
    DuplicateCheckIn,
    DuplicateCheckOut,
    EventSearchHit,
    FacetValue,
    SearchHit,
    SearchResponse,
    SimilarCase,
    SimilarResponse,
)
from service.search_engine.engine import SearchEngine

router = APIRouter(tags=["search"], route_class=IdempotentRoute)


def get_engine(request: Request) -> SearchEngine:
    engine: SearchEngine | None = getattr(request.app.state, "search", None)
    if engine is None:
        raise DomainError("La recherche démarre : réessayez dans quelques secondes.", status_code=503)
    return engine


@router.get(
    "/search",
    response_model=SearchResponse,
    summary="Rechercher des expériences par le sens",
    dependencies=[SearchBudget],
)
def search(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    q: Annotated[
        str,
        Query(
            description="Le besoin, en français ou en anglais (300 caractères au plus).",
            max_length=300,
            pattern=r"\S",  # at least one visible character
            examples=["mutualiser l'achat de logiciels entre petites communes"],
        ),
    ],
    filters: Annotated[service.SearchFilters, Depends(search_filters)],
    mode: Annotated[SearchMode, Query(description="hybrid (défaut), dense ou lexical.")] = "hybrid",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Numéro de page (ou suivez `next`).")] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[
        str | None, Query(description="Le `next` d'une réponse précédente (remplace `page`).")
    ] = None,
    for_territory: Annotated[
        str | None,
        Query(
            max_length=20,
            description="Code de votre territoire : les expériences de territoires comparables "
            "remontent un peu (au plus +10 % du score).",
        ),
    ] = None,
) -> SearchResponse:
    if cursor is not None:
        page = decode_int_cursor(cursor) or 0
        if not 1 <= page <= MAX_PAGE:
            raise InvalidFieldError("curseur de pagination invalide", field="cursor")
    query = pipeline.parse_query(
        q,
        max_chars=settings.max_query_chars,
        filters=filters,
        page=page,
        page_size=page_size,
        mode=mode,
        for_territory=for_territory,
    )
    return search_response(pipeline.run(session, get_engine(request), query))


def search_response(result: pipeline.SearchResult) -> SearchResponse:
    query = result.query
    return SearchResponse(
        items=[
            SearchHit(
                case=CaseStudySummary.model_validate(f.case),
                score=f.score,
                snippet=f.snippet,
                section=f.section,
                distinctions=f.distinctions,
            )
            for f in result.items
        ],
        total=result.total,
        next=encode_cursor([query.page + 1]) if result.has_next else None,
        page=query.page,
        facets={
            f.name: [FacetValue(value=v.value, label=v.label, count=v.count) for v in f.values]
            for f in result.facets
        },
        mode=query.mode,
        discussions=[
            DiscussionHit(
                id=r.thread.id,
                title=r.thread.title,
                case_study_id=r.thread.case_study_id,
                post_count=r.thread.post_count,
                snippet=r.snippet,
                url=f"/discussions/{r.thread.id}",
            )
            for r in result.discussions
        ],
        events=[
            EventSearchHit(
                id=r.event.id,
                title=r.event.title,
                kind=r.event.kind.value,
                starts_at=r.event.starts_at,
                snippet=r.snippet,
                url=f"/evenements/{r.event.id}",
            )
            for r in result.events
        ],
        collections=[
            CollectionSearchHit(
                id=r.collection.id,
                slug=r.collection.slug,
                title=r.collection.title,
                items=r.items,
                snippet=r.snippet,
                url=f"/selections/{r.collection.slug}",
            )
            for r in result.collections
        ],
    )


@router.get(
    "/case-studies/{case_id}/similar",
    response_model=SimilarResponse,
    summary="Expériences similaires",
    dependencies=[SearchBudget],
)
def similar(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> SimilarResponse:
    case = readable_case(session, principal, case_id=case_id)
    found = similar_service.similar_cases(session, get_engine(request), case=case, limit=limit)
    items = [SimilarCase(case=CaseStudySummary.model_validate(c), similarity=s) for c, s in found]
    return SimilarResponse(items=items, total=len(items))


@router.post(
    "/case-studies/check-duplicates",
    dependencies=[SearchBudget],
    response_model=DuplicateCheckOut,
    summary="Doublons probables d'un brouillon",
)
def check_duplicates(request: Request, session: DbSession, data: DuplicateCheckIn) -> DuplicateCheckOut:
    found = similar_service.likely_duplicates(
        session, get_engine(request), title=data.title, summary=data.summary, exclude_id=data.exclude_id
    )
    items = [
        DuplicateCandidate(case=CaseStudySummary.model_validate(c), similarity=s, level=level)
        for c, s, level in found
    ]
    return DuplicateCheckOut(items=items, total=len(items))
