"""/publier and /experiences/{slug}/modifier: write a case study through a form.

The form posts and redirects (works without JavaScript); HTMX adds the live duplicate warning
(/publier/doublons) and the Markdown preview (/publier/apercu, which without JavaScript re-renders the
whole form with the preview). Who may write what is decided by service/authz/permissions.py:
members with a confirmed address write drafts and submit them; moderators may also publish."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from service.accounts.models import Role
from service.api.errors import DomainError
from service.api.ids import MAX_ID
from service.authz.cases import readable_case
from service.authz.permissions import Action, authorize, can
from service.authz.principal import Principal
from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.casestudies.schemas import LICENCE_LABELS, STATUS_LABELS, CaseStudyCreate, CaseStudyUpdate
from service.funding import service as funding
from service.moderation import revisions
from service.organisations.directory import organisation_names
from service.publishing import authoring
from service.ratelimit.slots import Busy
from service.search import similar as search_similar
from service.settings import Settings
from service.software.catalogue import software_names
from service.themes.listing import all_themes
from web.dependencies import PagePrincipal, PageSearch, PageSettings
from web.forms import (
    ACTIONS,
    FIELD_LABELS,
    SECTION_FIELDS,
    CaseForm,
    check_references,
    empty_form,
    form_from_case,
    form_from_draft,
    read_form,
    to_schema,
)
from web.markdown import render_markdown
from web.params import FormBody, PageSession, int_param, path_key, text_param
from web.templating import is_htmx, render

log = logging.getLogger(__name__)
router = APIRouter()


def _require_writer(principal: Principal) -> None:
    authorize(principal, Action.create_case)


def _login_redirect(path: str) -> RedirectResponse:
    return RedirectResponse(f"/connexion?suivant={path}", status_code=303)


def _choices(
    session: PageSession, organisation_ids: frozenset[int] | None
) -> dict[str, list[tuple[str, str]]]:
    """Options of the form's lists: themes, software, organisations (three queries).
    `organisation_ids`: those the writer may publish for (None: any)."""
    return {
        "themes": [(t.slug, t.label) for t in all_themes(session)],
        "software": [(str(i), name) for i, name in software_names(session)],
        "organisations": [(str(i), name) for i, name in organisation_names(session, ids=organisation_ids)],
    }


def _form_page(
    request: Request,
    principal: Principal,
    session: PageSession,
    cf: CaseForm,
    *,
    case: CaseStudy | None,
    status_code: int = 200,
    previews: dict[str, Any] | None = None,
) -> HTMLResponse:
    context = {
        "form": cf,
        "case": case,
        "action": f"/experiences/{case.slug}/modifier" if case else "/publier",
        "choices": _choices(session, None if principal.has_role(Role.admin) else principal.organisation_ids),
        "status_options": [(s.value, STATUS_LABELS[s]) for s in ProjectStatus],
        "licence_options": list(LICENCE_LABELS.items()),
        "labels": FIELD_LABELS,
        "section_fields": SECTION_FIELDS,
        "previews": previews or {},
        "error_list": [(name, FIELD_LABELS.get(name, name), msg) for name, msg in cf.errors.items()],
        "reviewed_edit": case is not None and revisions.needs_review(principal, case),
        "pending_edit": case is not None and revisions.pending_for(session, principal, case) is not None,
    }
    return render(request, "publish.html", context, status_code=status_code)


def _save(
    request: Request,
    principal: Principal,
    settings: Settings,
    session: PageSession,
    cf: CaseForm,
    *,
    case: CaseStudy | None,
    action: str,
) -> Response:
    state = ACTIONS.get(action, "draft")
    if case is not None and state == "draft" and case.publication_state is not PublicationState.draft:
        state = case.publication_state.value  # "Enregistrer" keeps a submitted or published case where it is
    data = to_schema(cf, publication_state=state, update=case is not None)
    check_references(session, cf)  # unknown territories are told with the other errors, in one round
    if data is not None and not cf.errors:
        try:
            pending = False
            if case is None:
                assert isinstance(data, CaseStudyCreate)
                case = authoring.create_as(session, principal, data, settings)
            else:
                assert isinstance(data, CaseStudyUpdate)
                edit = authoring.update_as(session, principal, case, data, settings)
                case, pending = edit.case, edit.pending
        except DomainError as exc:
            session.rollback()
            message = exc.message[:1].upper() + exc.message[1:]
            cf.error(exc.field or "form", message if message.endswith(".") else message + ".")
        else:
            waits = "?modification=attente" if pending else ""  # readers keep the published text
            return RedirectResponse(f"/experiences/{case.slug}{waits}", status_code=303)
    if case is not None:
        session.refresh(case)  # the rolled-back or unchanged case, to title the page
    return _form_page(request, principal, session, cf, case=case, status_code=422)


@router.get("/publier", response_class=HTMLResponse)
def new_case(request: Request, principal: PagePrincipal, session: PageSession) -> Response:
    project_id = int_param(request.query_params.get("projet-finance"), default=0, lo=0, hi=MAX_ID) or None
    if not principal.is_user:
        return _login_redirect(f"/publier?projet-finance={project_id}" if project_id else "/publier")
    _require_writer(principal)
    if project_id is not None:  # a funded project becomes a full experience (a draft, then moderation)
        draft = funding.draft_from(funding.get_project(session, project_id))
        return _form_page(request, principal, session, form_from_draft(draft), case=None)
    return _form_page(request, principal, session, empty_form(), case=None)


@router.post("/publier", response_class=HTMLResponse)
def create_case(
    request: Request, principal: PagePrincipal, settings: PageSettings, session: PageSession, form: FormBody
) -> Response:
    _require_writer(principal)
    return _save(
        request,
        principal,
        settings,
        session,
        read_form(form),
        case=None,
        action=str(form.get("action", "draft")),
    )


def _editable(principal: Principal, session: PageSession, slug: str) -> CaseStudy:
    case = readable_case(session, principal, slug=path_key(slug))
    authorize(principal, Action.edit_case, case=case)
    return case


@router.get("/experiences/{slug}/modifier", response_class=HTMLResponse)
def edit_case(request: Request, principal: PagePrincipal, session: PageSession, slug: str) -> Response:
    case = _editable(principal, session, slug)
    pending = revisions.pending_revision(session, case)  # its authors go on from their pending version
    return _form_page(request, principal, session, form_from_case(case, pending), case=case)


@router.post("/experiences/{slug}/modifier", response_class=HTMLResponse)
def update_case(
    request: Request,
    principal: PagePrincipal,
    settings: PageSettings,
    session: PageSession,
    slug: str,
    form: FormBody,
) -> Response:
    case = _editable(principal, session, slug)
    return _save(
        request,
        principal,
        settings,
        session,
        read_form(form),
        case=case,
        action=str(form.get("action", "draft")),
    )


def _case_being_edited(principal: Principal, session: PageSession, form: FormData) -> CaseStudy | None:
    """The case named by the form's `case_id`, only if this person may edit it: someone else's draft
    is treated as no case at all (its title, slug and state never reach the page)."""
    raw = form.get("case_id")
    if not (isinstance(raw, str) and raw.isdigit() and len(raw) < 10):
        return None
    case = session.get(CaseStudy, int(raw))
    if case is None or not can(principal, Action.edit_case, case=case):
        return None
    return case


@router.post("/publier/doublons", response_class=HTMLResponse)
def duplicates(
    request: Request, principal: PagePrincipal, engine: PageSearch, session: PageSession, form: FormBody
) -> HTMLResponse:
    """Published cases that look like the one being written (the partial under the title)."""
    _require_writer(principal)
    title = text_param(str(form.get("title", "")), max_chars=120)
    summary = text_param(str(form.get("summary", "")), max_chars=2000)
    found: list[tuple[CaseStudy, float, str]] = []
    if engine is not None and len(title) >= 8:
        edited = _case_being_edited(principal, session, form)
        try:
            found = search_similar.likely_duplicates(
                session, engine, title=title, summary=summary, exclude_id=edited.id if edited else None
            )
        except Busy:  # every embedding slot taken: no hint this time, at once
            pass
        except Exception:  # a hint, not a gate: never fail the form for it
            log.exception("duplicate check failed")
    return render(request, "publish.html", {"duplicates": found}, block="duplicates")


@router.post("/publier/apercu", response_class=HTMLResponse)
def preview(request: Request, principal: PagePrincipal, session: PageSession, form: FormBody) -> Response:
    """One section's Markdown rendered as the case page will show it."""
    _require_writer(principal)
    section = str(form.get("preview", ""))
    if section not in SECTION_FIELDS:
        section = "context"
    cf = read_form(form)
    html = render_markdown(cf.value(section))
    if is_htmx(request):
        return render(request, "publish.html", {"section": section, "preview_html": html}, block="preview")
    case = _case_being_edited(principal, session, form)
    return _form_page(request, principal, session, cf, case=case, previews={section: html})
