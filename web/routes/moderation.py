"""/moderation: the review queue (publish or reject with a reason) and the open reports; the
« Signaler » form of a case page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.api.errors import DomainError, NotFoundError
from service.api.ids import MAX_ID
from service.authz.cases import readable_case
from service.authz.permissions import Action, authorize
from service.authz.principal import Principal
from service.casestudies.listing import cases_by_id
from service.casestudies.models import PublicationState
from service.moderation import queue as review_queue
from service.moderation import reports, revisions, workflow
from service.moderation.models import CaseRevision, Report, ReportTarget
from web.dependencies import PagePrincipal, PageSettings
from web.params import FormBody, PageSession, form_text, path_key
from web.revision_diff import revision_diff
from web.templating import render

router = APIRouter()


def _page(
    request: Request,
    principal: Principal,
    db: PageSession,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    authorize(principal, Action.review_cases)
    queue = review_queue.submitted_cases(db)
    open_reports = reports.open_reports(db, principal=principal)
    cases = cases_by_id(
        db, ids=[r.target_id for r in open_reports if r.target_type is ReportTarget.case_study]
    )
    pending = review_queue.pending_revisions(db)
    revised = cases_by_id(db, ids=[r.case_study_id for r in pending])
    context = {
        "queue": queue,
        "revisions": [
            (r, revised[r.case_study_id], revision_diff(db, revised[r.case_study_id], r)) for r in pending
        ],
        "reports": [(r, cases.get(r.target_id)) for r in open_reports],
        "errors": errors or {},
        "done": request.query_params.get("fait"),
    }
    return render(request, "moderation.html", context, status_code=status_code)


@router.get("/moderation", response_class=HTMLResponse)
def moderation_page(request: Request, principal: PagePrincipal, db: PageSession) -> HTMLResponse:
    return _page(request, principal, db)


@router.post("/moderation/experiences/{case_id}", response_class=HTMLResponse)
def decide_case(
    request: Request,
    principal: PagePrincipal,
    settings: PageSettings,
    db: PageSession,
    form: FormBody,
    case_id: int,
) -> Response:
    authorize(principal, Action.review_cases)
    case = readable_case(db, principal, case_id=case_id)
    decision = form.get("decision")
    target = PublicationState.published if decision == "publier" else PublicationState.rejected
    try:
        workflow.change_state(
            db,
            case=case,
            to=target,
            actor=principal,
            reason=str(form.get("reason", "")).replace("\x00", "")[:2000],
            public_url=settings.public_url,
        )
    except DomainError as exc:
        db.rollback()
        if exc.status_code in (401, 403):
            raise
        return _page(request, principal, db, errors={f"reason-{case_id}": exc.message}, status_code=422)
    return RedirectResponse(f"/moderation?fait={target.value}", status_code=303)


@router.post("/moderation/modifications/{revision_id}", response_class=HTMLResponse)
def decide_revision(
    request: Request,
    principal: PagePrincipal,
    settings: PageSettings,
    db: PageSession,
    form: FormBody,
    revision_id: int,
) -> Response:
    """Approve an edit of a published case (it goes online) or reject it with a reason for its authors."""
    authorize(principal, Action.review_cases)
    revision = db.get(CaseRevision, revision_id) if 0 < revision_id <= MAX_ID else None
    if revision is None:
        raise NotFoundError("Cette modification n'existe pas.")
    approve = form.get("decision") == "approuver"
    try:
        revisions.decide(
            db,
            revision=revision,
            actor=principal,
            approve=approve,
            reason=form_text(form, "reason", 2000),
            public_url=settings.public_url,
            max_section_chars=settings.max_section_chars,
        )
    except DomainError as exc:
        db.rollback()
        if exc.status_code in (401, 403):
            raise
        return _page(
            request, principal, db, errors={f"revision-reason-{revision_id}": exc.message}, status_code=422
        )
    return RedirectResponse(
        f"/moderation?fait={'modification-approuvee' if approve else 'modification-refusee'}", status_code=303
    )


@router.post("/moderation/signalements/{report_id}", response_class=HTMLResponse)
def decide_report(
    principal: PagePrincipal, settings: PageSettings, db: PageSession, form: FormBody, report_id: int
) -> Response:
    authorize(principal, Action.handle_reports)
    report = db.get(Report, report_id)
    if report is None:
        raise NotFoundError("Ce signalement n'existe pas.")
    reports.resolve_report(
        db,
        report=report,
        principal=principal,
        uphold=form.get("decision") == "retirer",
        note=str(form.get("note", "")).replace("\x00", "")[:2000],
        public_url=settings.public_url,
    )
    return RedirectResponse("/moderation?fait=signalement", status_code=303)


@router.post("/experiences/{slug}/signaler", response_class=HTMLResponse)
def report_case(principal: PagePrincipal, db: PageSession, form: FormBody, slug: str) -> Response:
    case = readable_case(db, principal, slug=path_key(slug))
    try:
        reports.create_report(
            db,
            principal=principal,
            target_type=ReportTarget.case_study,
            target_id=case.id,
            reason=str(form.get("reason", "")).replace("\x00", "")[:2000],
        )
    except DomainError as exc:
        db.rollback()
        if exc.status_code in (401, 403):
            raise
        return RedirectResponse(
            f"/experiences/{case.slug}?signalement=erreur&message={exc.message[:200]}#signaler",
            status_code=303,
        )
    return RedirectResponse(f"/experiences/{case.slug}?signalement=envoye#signaler", status_code=303)
