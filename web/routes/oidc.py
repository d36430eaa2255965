"""Login through the OpenID Connect provider (ProConnect): /connexion/oidc sends the browser there,
/connexion/oidc/retour comes back with the code, logs the person in and goes on to the page asked for.

Between the two, the browser's signed session keeps the request's state, nonce and PKCE verifier (one
pending login at a time, used once, 15 minutes at most). A failure is a French page with a way back.
"""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.accounts.oidc import OidcClient, OidcError, PendingLogin
from service.accounts.oidc_login import user_for_identity
from web.auth import log_in_user
from web.dependencies import PageOidc, PageSettings
from web.params import PageSession
from web.routes.account import safe_next
from web.session import get_session
from web.templating import render

logger = logging.getLogger(__name__)
router = APIRouter()

PENDING_KEY = "oidc"
PENDING_MAX_AGE_SECONDS = 15 * 60


def _failure(request: Request, client: OidcClient, exc: OidcError) -> HTMLResponse:
    return render(
        request,
        "message.html",
        {
            "title": f"Connexion avec {client.label} impossible",
            "text": exc.message,
            "link": ("/connexion", "Revenir à la page de connexion"),
        },
        status_code=exc.status_code,
    )


@router.get("/connexion/oidc")
def start(request: Request, settings: PageSettings, client: PageOidc) -> Response:
    if client is None:
        raise HTTPException(404)
    redirect_uri = settings.oidc_redirect_uri or str(request.url_for("oidc_callback"))
    try:
        pending = client.start_login(redirect_uri)
    except OidcError as exc:
        return _failure(request, client, exc)
    next_url = safe_next(request.query_params.get("suivant"))
    get_session(request).set(PENDING_KEY, {**pending.to_dict(), "next": next_url, "at": int(time.time())})
    return RedirectResponse(pending.url, status_code=303)


@router.get("/connexion/oidc/retour", name="oidc_callback", response_class=HTMLResponse)
def finish(request: Request, client: PageOidc, db: PageSession) -> Response:
    if client is None:
        raise HTTPException(404)
    session = get_session(request)
    saved = session.get(PENDING_KEY)
    session.pop(PENDING_KEY)  # one callback per request sent
    pending = PendingLogin.from_dict(saved)
    started = saved.get("at") if isinstance(saved, dict) else None
    try:
        if pending is None or not isinstance(started, int) or time.time() - started > PENDING_MAX_AGE_SECONDS:
            raise OidcError(
                f"Cette connexion avec {client.label} a expiré ou a déjà servi. Recommencez la connexion."
            )
        identity = client.finish_login(pending, dict(request.query_params))
        user = user_for_identity(db, identity, label=client.label)
    except OidcError as exc:
        return _failure(request, client, exc)
    log_in_user(request, db, user)
    logger.info("OIDC login: user %s (%s)", user.id, identity.issuer)
    assert isinstance(saved, dict)
    return RedirectResponse(safe_next(saved.get("next")), status_code=303)
