"""/connexion and /deconnexion: the admin token into the signed session (until accounts exist)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web import session as web_session
from web.params import FormBody
from web.templating import render

router = APIRouter()


def safe_next(value: object) -> str:
    """Only a local path (never //host or a scheme): no open redirect through ?suivant=."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value[:500].replace("\x00", "")
    return "/publier"


@router.get("/connexion", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return render(
        request, "login.html", {"next": safe_next(request.query_params.get("suivant")), "error": None}
    )


@router.post("/connexion", response_class=HTMLResponse)
def login(request: Request, form: FormBody) -> Response:
    next_url = safe_next(form.get("suivant"))
    token = form.get("token")
    if not request.app.state.settings.admin_token:
        error = "Les publications sont désactivées sur ce serveur : RETEX_ADMIN_TOKEN n'est pas défini."
    elif isinstance(token, str) and web_session.check_admin_token(request, token.strip()):
        web_session.log_in(request)
        return RedirectResponse(next_url, status_code=303)
    else:
        error = "Ce jeton n'est pas le bon. Vérifiez-le auprès de l'administrateur de Retex."
    return render(request, "login.html", {"next": next_url, "error": error}, status_code=403)


@router.post("/deconnexion")
def logout(request: Request) -> Response:
    web_session.log_out(request)
    return RedirectResponse("/", status_code=303)
