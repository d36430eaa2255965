"""French error pages (400, 403, 404, 405, 413, 422, 500, 503) for the HTML routes; the JSON API keeps
its Problem Details. The API's handlers are wrapped, not replaced: a request under /api/ (or /docs)
still reaches them unchanged."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexing.index_types import IndexUnavailableError
from service.api.errors import DATABASE_BUSY, DATABASE_DOWN_ERRORS, DomainError, problem
from web.csrf import CsrfError
from web.templating import is_htmx, render

log = logging.getLogger(__name__)
Handler = Callable[[Request, Any], Response | Awaitable[Response]]

TITLES = {
    400: "Demande invalide",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Action impossible",
    413: "Envoi trop volumineux",
    422: "Données invalides",
    500: "Erreur inattendue",
    503: "Service momentanément indisponible",
}
MESSAGES = {
    400: "La demande n'a pas pu être comprise. Vérifiez l'adresse ou le formulaire.",
    403: "Vous n'avez pas accès à cette page ou à cette action.",
    404: "Cette page n'existe pas, ou plus. L'expérience a peut-être été retirée ou renommée.",
    405: "Cette adresse ne permet pas cette action.",
    413: "Le contenu envoyé dépasse la taille autorisée.",
    500: "Une erreur inattendue s'est produite de notre côté. Elle a été enregistrée ; réessayez plus tard.",
    503: "Le service démarre ou est surchargé : réessayez dans quelques instants.",
}


def wants_html(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path.startswith("/docs") or path.startswith("/openapi"))


def error_page(request: Request, status: int, detail: str | None = None) -> HTMLResponse:
    context = {
        "status": status,
        "title": TITLES.get(status, "Erreur"),
        "message": detail or MESSAGES.get(status, "La demande n'a pas abouti."),
    }
    try:
        if is_htmx(request):
            return render(request, "error.html", context, block="error", status_code=status)
        return render(request, "error.html", context, status_code=status)
    except Exception:  # the error page must never fail in turn
        log.exception("rendering the error page failed")
        return HTMLResponse(
            f"<!doctype html><html lang=fr><title>{context['title']}</title>"
            f"<h1>{context['title']}</h1><p><a href='/'>Retour à l'accueil</a></p></html>",
            status_code=status,
        )


async def _call(handler: Handler, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    return await result if inspect.isawaitable(result) else result


def install_html_error_pages(app: FastAPI) -> None:
    api_http: Handler = app.exception_handlers[StarletteHTTPException]
    api_domain: Handler = app.exception_handlers[DomainError]
    api_validation: Handler = app.exception_handlers[RequestValidationError]

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not wants_html(request):
            return await _call(api_http, request, exc)
        # Starlette's own messages are in English: show ours, except for messages we wrote.
        detail = exc.detail if isinstance(exc.detail, str) and exc.status_code in (403, 404) else None
        if detail in ("Not Found", "Forbidden"):
            detail = None
        response = error_page(request, exc.status_code, detail)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    async def domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        if not wants_html(request):
            return await _call(api_domain, request, exc)
        if exc.status_code == 401 and request.method == "GET":
            # Not logged in: log in, then come back here.
            return RedirectResponse(f"/connexion?suivant={quote(request.url.path)}", status_code=303)
        response = error_page(request, exc.status_code, exc.message)
        response.headers.update(exc.headers)
        return response

    async def validation_error(request: Request, exc: Exception) -> Response:
        if not wants_html(request):
            return await _call(api_validation, request, exc)
        return error_page(request, 400, "L'adresse contient un paramètre invalide.")

    async def csrf_error(request: Request, _exc: Exception) -> Response:
        return error_page(
            request,
            403,
            "Le formulaire a expiré ou ne vient pas de Retex (jeton de sécurité absent ou invalide). "
            "Rechargez la page et recommencez.",
        )

    api_database_down: Handler = app.exception_handlers[DATABASE_DOWN_ERRORS[0]]

    async def database_down(request: Request, exc: Exception) -> Response:
        if not wants_html(request):
            return await _call(api_database_down, request, exc)
        response = error_page(
            request,
            503,
            DATABASE_BUSY
            if isinstance(exc, PoolTimeout)
            else "La base de données est momentanément injoignable : réessayez dans quelques instants. "
            "Si vous envoyiez un formulaire, il n'a pas été enregistré.",
        )
        response.headers["Retry-After"] = "5"
        return response

    api_overflow: Handler = app.exception_handlers[OverflowError]

    async def number_too_large(request: Request, exc: Exception) -> Response:
        if not wants_html(request):
            return await _call(api_overflow, request, exc)
        return error_page(request, 400, "L'adresse contient un nombre trop grand.")

    api_index_down: Handler = app.exception_handlers[IndexUnavailableError]

    async def index_down(request: Request, exc: Exception) -> Response:
        if not wants_html(request):
            return await _call(api_index_down, request, exc)
        response = error_page(
            request, 503, "La recherche est momentanément indisponible : réessayez dans quelques instants."
        )
        response.headers["Retry-After"] = "5"
        return response

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        if not wants_html(request):
            return problem(500, "Erreur interne : elle a été enregistrée.")
        return error_page(request, 500)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(CsrfError, csrf_error)
    for error_type in DATABASE_DOWN_ERRORS:
        app.add_exception_handler(error_type, database_down)
    app.add_exception_handler(IndexUnavailableError, index_down)
    app.add_exception_handler(OverflowError, number_too_large)
    app.add_exception_handler(Exception, server_error)
