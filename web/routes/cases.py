"""/experiences (list) and /experiences/{slug} (one case study)."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from service.accounts.permissions import Action, can
from service.casestudies import service as case_service
from service.casestudies.authoring import readable_case
from service.casestudies.models import SECTIONS, CaseStudy, ProjectStatus, PublicationState
from service.discussions import following, reading
from service.discussions.models import FollowTarget
from service.moderation import workflow
from service.search import similar as search_similar
from service.themes.models import Theme
from web import queries
from web.auth import current_principal
from web.comparables import comparable_territories
from web.params import PageSession, int_param, path_key, search_engine, text_param
from web.templating import is_htmx, render

log = logging.getLogger(__name__)
router = APIRouter()
PER_PAGE = 20
PUBLICATION_LABELS = {
    PublicationState.draft: "Brouillon",
    PublicationState.submitted: "Soumise pour relecture",
    PublicationState.published: "Publiée",
    PublicationState.rejected: "Refusée",
    PublicationState.archived: "Archivée",
}


@router.get("/experiences", response_class=HTMLResponse)
def case_list(request: Request, session: PageSession) -> HTMLResponse:
    params = request.query_params
    theme_slug = text_param(params.get("theme"), max_chars=80) or None
    status = params.get("status") if params.get("status") in ProjectStatus.__members__ else None
    page = int_param(params.get("page"), default=1, lo=1, hi=10_000)
    stmt = case_service.list_statement(
        theme=theme_slug, territory=None, status=status, publication_state=PublicationState.published
    )
    rows, total = queries.page_of(session, stmt, page=page, per_page=PER_PAGE)
    theme = session.scalar(select(Theme).where(Theme.slug == theme_slug)) if theme_slug else None
    context: dict[str, Any] = {
        "cases": rows,
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / PER_PAGE)),
        "theme": theme,
        "status": status,
        "themes": queries.themes(session),
        "params": {"theme": theme_slug, "status": status},
        "theme_threads": reading.recent_threads(
            session, current_principal(request), limit=5, theme_id=theme.id
        )
        if theme
        else [],
    }
    return render(request, "cases.html", context, block="results" if is_htmx(request) else None)


def _similar(request: Request, session: PageSession, case: CaseStudy) -> list[tuple[CaseStudy, float]]:
    engine = search_engine(request)
    if engine is None:
        return []
    try:
        return search_similar.similar_cases(session, engine, case=case, limit=5)
    except Exception:  # derived data: the case page still shows without it
        log.exception("similar cases failed for case %s", case.id)
        return []


@router.get("/experiences/{slug}", response_class=HTMLResponse)
def case_page(request: Request, session: PageSession, slug: str) -> HTMLResponse:
    return case_page_response(request, session, slug)


def case_page_response(
    request: Request,
    session: PageSession,
    slug: str,
    *,
    ask_errors: dict[str, str] | None = None,
    ask_values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The case page; with `ask_errors` the question form shows what to fix, keeping what was typed."""
    principal = current_principal(request)
    case = readable_case(session, principal, slug=path_key(slug))
    sees_history = can(principal, Action.review_cases) or can(principal, Action.edit_case, case=case)
    comparables = None
    if case.territories:
        comparables = comparable_territories(request, session, case.territories[0], limit=4)
    context = {
        "case": case,
        "sections": [(name, getattr(case, name)) for name in SECTIONS if (getattr(case, name) or "").strip()],
        "similar": _similar(request, session, case),
        "comparables": comparables,
        "publication_label": PUBLICATION_LABELS.get(case.publication_state, ""),
        "is_published": case.publication_state is PublicationState.published,
        "history": workflow.history(session, case) if sees_history else [],
        "STATE_LABELS": {state.value: label for state, label in workflow.LABELS.items()},
        "report_status": request.query_params.get("signalement"),
        "threads": reading.recent_threads(session, principal, limit=50, case_study_id=case.id),
        "following": following.is_following(session, principal, FollowTarget.case_study, case.id),
        "ask_errors": ask_errors or {},
        "ask_values": ask_values or {},
    }
    return render(request, "case.html", context, status_code=status_code)
