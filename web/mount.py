"""Mount the web interface on the application: pages, static files, session cookie, security headers,
HTML error pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from web.auth import resolve_principal
from web.csrf import csrf_protect
from web.errors import install_html_error_pages
from web.headers import SecurityHeaders
from web.oidc import install_oidc
from web.routes import (
    account,
    admin,
    cases,
    collections,
    contests,
    discussions,
    event_forms,
    events,
    guide,
    home,
    moderation,
    my_territory,
    oidc,
    profile,
    publish,
    search,
    software,
    territories,
    widget,
    workspace,
)
from web.session import WebSessionMiddleware

STATIC_DIR = Path(__file__).parent / "static"


def web_router() -> APIRouter:
    # Who is asking is resolved first, with a short session of its own that is closed before the
    # route's session opens (one connection at a time). Every web route checks the CSRF token of
    # unsafe requests (POST): none can forget it.
    router = APIRouter(
        include_in_schema=False, dependencies=[Depends(resolve_principal), Depends(csrf_protect)]
    )
    for module in (
        home,
        search,
        cases,
        collections,
        contests,
        publish,
        territories,
        software,
        account,
        profile,
        moderation,
        my_territory,
        admin,
        discussions,
        event_forms,  # before events: /evenements/nouveau is not an event's id
        events,
        oidc,
        widget,
        guide,
        workspace,
    ):
        router.include_router(module.router)
    return router


def mount_web(app: FastAPI) -> None:
    install_oidc(app, app.state.settings)
    app.include_router(web_router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_html_error_pages(app)
    app.add_middleware(
        WebSessionMiddleware,
        secret_key=app.state.settings.resolved_secret_key,
        always_secure=app.state.settings.public_url.startswith("https://"),
    )
    app.add_middleware(SecurityHeaders)
