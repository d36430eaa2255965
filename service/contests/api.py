"""/api/v1/contests and /api/v1/case-studies/{id}/distinctions: contests and labels, and what an
experience won."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from service.api.errors import NotFoundError
from service.api.ids import CaseId
from service.api.pagination import Cursor, Limit, Page, keyset_page
from service.api.since import UpdatedSince, updated_page
from service.casestudies.models import CaseStudy, PublicationState
from service.contests import service
from service.contests.models import Contest
from service.contests.schemas import ContestOut, ContestSummary, DistinctionOut
from service.db.session import DbSession

router = APIRouter(tags=["contests"])
Slug = Annotated[str, Path(min_length=1, max_length=140, description="Identifiant (slug) du concours.")]


@router.get(
    "/contests",
    response_model=Page[ContestSummary],
    operation_id="listContests",
    summary="Concours et labels",
)
def list_contests(
    session: DbSession, limit: Limit = 20, cursor: Cursor = None, updated_since: UpdatedSince = None
) -> Page[ContestSummary]:
    if updated_since is not None:
        return updated_page(
            session,
            service.contests_statement(),
            Contest,
            since=updated_since,
            limit=limit,
            cursor=cursor,
            to_item=service.contest_summary,
        )
    return keyset_page(
        session,
        service.contests_statement(),
        Contest.id,
        limit=limit,
        cursor=cursor,
        to_item=service.contest_summary,
    )


@router.get(
    "/contests/{slug}",
    response_model=ContestOut,
    operation_id="getContest",
    summary="Un concours : catégories, étapes (sélections régionales, finale) et candidatures",
)
def read_contest(session: DbSession, slug: Slug) -> ContestOut:
    return service.contest_out(service.get_contest(session, slug))


@router.get(
    "/case-studies/{case_id}/distinctions",
    response_model=list[DistinctionOut],
    operation_id="listCaseDistinctions",
    summary="Distinctions d'une expérience (meilleur résultat par concours)",
)
def case_distinctions(session: DbSession, case_id: CaseId) -> list[DistinctionOut]:
    case = session.get(CaseStudy, case_id)
    if case is None or case.publication_state is not PublicationState.published:
        raise NotFoundError(f"Aucune expérience publiée n° {case_id}.")
    return service.distinctions(session, [case_id]).get(case_id, [])
