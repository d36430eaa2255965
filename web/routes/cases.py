"""/experiences (list) and /experiences/{slug} (one case study)."""

from __future__ import annotations

import logging
import math
from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.api.errors import NotFoundError
from service.authz.cases import readable_case
from service.authz.permissions import Action, can
from service.authz.principal import Principal
from service.casestudies import workspace
from service.casestudies.links import LinkKind, link_details
from service.casestudies.listing import published_page
from service.casestudies.models import SECTIONS, CaseStudy, ProjectStatus, PublicationState
from service.contests.service import distinctions
from service.discussions import following, reading
from service.discussions.models import FollowTarget
from service.events.service import events_presenting
from service.moderation import revisions, workflow
from service.moderation.models import HistoryEvent
from service.publishing.authoring import review_link_as
from service.ratelimit.slots import Busy
from service.search import similar as search_similar
from service.search_engine.engine import SearchEngine
from service.territories.service import find_by_code
from service.territory_insights.fit import Fit, case_fit
from service.themes.listing import all_themes, find_theme
from web.comparables import comparable_territories
from web.dependencies import PagePrincipal, PageSearch
from web.my_territory import my_territory
from web.params import FormBody, PageSession, int_param, path_key, text_param
from web.revision_diff import revision_diff
from web.templating import is_htmx, render

log = logging.getLogger(__name__)
router = APIRouter()
PER_PAGE = 20
EVENT_LABELS = {
    HistoryEvent.edit: "modifiée",
    HistoryEvent.revision_proposed: "modification proposée, en attente de relecture",
    HistoryEvent.revision_approved: "modification approuvée et mise en ligne",
    HistoryEvent.revision_rejected: "modification refusée",
}
PUBLICATION_LABELS = {
    PublicationState.draft: "Brouillon",
    PublicationState.submitted: "Soumise pour relecture",
    PublicationState.published: "Publiée",
    PublicationState.rejected: "Refusée",
    PublicationState.archived: "Archivée",
}


@router.get("/experiences", response_class=HTMLResponse)
def case_list(request: Request, principal: PagePrincipal, session: PageSession) -> HTMLResponse:
    params = request.query_params
    theme_slug = text_param(params.get("theme"), max_chars=80) or None
    status = params.get("status") if params.get("status") in ProjectStatus.__members__ else None
    page = int_param(params.get("page"), default=1, lo=1, hi=10_000)
    rows, total = published_page(session, theme=theme_slug, status=status, page=page, per_page=PER_PAGE)
    theme = find_theme(session, slug=theme_slug) if theme_slug else None
    context: dict[str, Any] = {
        "cases": rows,
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / PER_PAGE)),
        "theme": theme,
        "status": status,
        "themes": all_themes(session),
        "params": {"theme": theme_slug, "status": status},
        "theme_threads": reading.recent_threads(session, principal, limit=5, theme_id=theme.id)
        if theme
        else [],
    }
    return render(request, "cases.html", context, block="results" if is_htmx(request) else None)


def _similar(
    session: PageSession, engine: SearchEngine | None, case: CaseStudy
) -> list[tuple[CaseStudy, float]]:
    if engine is None:
        return []
    try:
        # A "fiche courte" (near-empty page) is never suggested as similar.
        found = search_similar.similar_cases(session, engine, case=case, limit=5)
        return [(c, score) for c, score in found if not c.short]
    except Busy:  # every embedding slot taken: the page shows at once, without suggestions
        return []
    except Exception:  # derived data: the case page still shows without it
        log.exception("similar cases failed for case %s", case.id)
        return []


def _fit(request: Request, session: PageSession, engine: SearchEngine | None, case: CaseStudy) -> Fit | None:
    """How well the case fits the reader's territory (« Mon territoire »), with why; None without one."""
    mine = my_territory(request)
    if mine is None:
        return None
    reader = find_by_code(session, code=mine.territory.code)
    try:
        return (
            case_fit(session, engine.index if engine else None, case=case, territory=reader)
            if reader
            else None
        )
    except Exception:  # derived data: the case page still shows without it
        log.exception("fit of case %s failed", case.id)
        return None


@router.get("/experiences/{slug}", response_class=HTMLResponse)
def case_page(
    request: Request, principal: PagePrincipal, engine: PageSearch, session: PageSession, slug: str
) -> HTMLResponse:
    return case_page_response(request, principal, engine, session, slug)


def case_page_response(
    request: Request,
    principal: Principal,
    engine: SearchEngine | None,
    session: PageSession,
    slug: str,
    *,
    ask_errors: dict[str, str] | None = None,
    ask_values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The case page; with `ask_errors` the question form shows what to fix, keeping what was typed."""
    case = readable_case(session, principal, slug=path_key(slug))
    editor = can(principal, Action.edit_case, case=case)
    sees_history = can(principal, Action.review_cases) or editor
    pending = revisions.pending_for(session, principal, case)  # its authors and the moderators only
    comparables = None
    if case.territories:
        comparables = comparable_territories(request, session, case.territories[0], limit=4)
    context = {
        "fit": _fit(request, session, engine, case),
        "case": case,
        "sections": [(name, getattr(case, name)) for name in SECTIONS if (getattr(case, name) or "").strip()],
        "similar": _similar(session, engine, case),
        "comparables": comparables,
        "publication_label": PUBLICATION_LABELS.get(case.publication_state, ""),
        "is_published": case.publication_state is PublicationState.published,
        "history": workflow.history(session, case) if sees_history else [],
        "STATE_LABELS": {state.value: label for state, label in workflow.LABELS.items()},
        "EVENT_LABELS": EVENT_LABELS,
        "pending_revision": pending,
        "pending_diff": revision_diff(session, case, pending) if pending else [],
        "is_reviewer": can(principal, Action.review_cases),
        "state_notice": workspace.state_notice(case, editor=editor),
        "moves": workspace.moves_for(case, moderator=can(principal, Action.review_cases))
        if can(principal, Action.submit_case, case=case)
        else (),
        "move_done": workspace.MOVE_DONE.get(request.query_params.get("etat", "")),
        "edit_status": request.query_params.get("modification"),
        "report_status": request.query_params.get("signalement"),
        "threads": reading.recent_threads(session, principal, limit=50, case_study_id=case.id),
        "presented_at": events_presenting(session, case.id),
        "distinctions": distinctions(session, [case.id]).get(case.id, []),
        "following": following.is_following(session, principal, FollowTarget.case_study, case.id),
        "ask_errors": ask_errors or {},
        "ask_values": ask_values or {},
        # (kind, id) -> (origin, confidence): links Retex suggested are marked « suggéré ».
        "link_origins": {
            (d["kind"], d["id"]): (d["origin"], d.get("confidence")) for d in link_details(session, case)
        },
    }
    return render(request, "case.html", context, status_code=status_code)


@router.post("/experiences/{slug}/liens/{kind}/{target_id}", response_class=HTMLResponse)
def review_link(
    principal: PagePrincipal, session: PageSession, form: FormBody, slug: str, kind: str, target_id: int
) -> Response:
    """An author confirms (« Confirmer ») or removes (« Retirer ») a link Retex suggested."""
    case = readable_case(session, principal, slug=path_key(slug))
    if kind not in ("territory", "theme", "software"):
        raise NotFoundError("Ce type de lien n'existe pas.")
    keep = str(form.get("action", "")) == "confirmer"
    review_link_as(session, principal, case, cast(LinkKind, kind), target_id, keep=keep)
    return RedirectResponse(
        f"/experiences/{case.slug}?lien={'confirme' if keep else 'retire'}", status_code=303
    )
