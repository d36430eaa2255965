"""/mes-experiences (an author's workspace) and /experiences/{slug}/etat (submit, withdraw, archive,
restore from the web). The moves and who may make them are the workflow's
(service/moderation/workflow.py) and the permissions' (service/authz/permissions.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.api.errors import InvalidFieldError
from service.authz.cases import readable_case
from service.authz.permissions import Action, authorize
from service.casestudies import workspace
from service.casestudies.models import PublicationState
from service.moderation.workflow import change_state
from web.dependencies import PagePrincipal, PageSettings
from web.params import FormBody, PageSession, path_key
from web.templating import render

router = APIRouter()


@router.get("/mes-experiences", response_class=HTMLResponse)
def my_cases(request: Request, principal: PagePrincipal, session: PageSession) -> Response:
    if not principal.is_user:
        return RedirectResponse("/connexion?suivant=/mes-experiences", status_code=303)
    grouped = workspace.my_cases(session, principal)
    context = {
        "grouped": grouped,
        "sections": workspace.SECTIONS,
        "total": sum(len(entries) for entries in grouped.values()),
        "moves_for": workspace.moves_for,
        "done": workspace.MOVE_DONE.get(request.query_params.get("etat", "")),
    }
    return render(request, "my_cases.html", context)


@router.post("/experiences/{slug}/etat", response_class=HTMLResponse)
def move_case(
    principal: PagePrincipal, settings: PageSettings, session: PageSession, form: FormBody, slug: str
) -> Response:
    """One move of the workflow, posted by a button of the case page or of the workspace."""
    case = readable_case(session, principal, slug=path_key(slug))
    authorize(principal, Action.submit_case, case=case)  # the workflow checks the move's own right too
    raw = str(form.get("vers", ""))
    if raw not in PublicationState.__members__ or raw == PublicationState.rejected.value:
        raise InvalidFieldError("choisissez brouillon, soumise, archivée ou publiée", field="vers")
    to = PublicationState(raw)
    change_state(session, case=case, to=to, actor=principal, reason=None, public_url=settings.public_url)
    back = str(form.get("retour", ""))
    target = "/mes-experiences" if back == "mes-experiences" else f"/experiences/{case.slug}"
    return RedirectResponse(f"{target}?etat={raw}", status_code=303)
