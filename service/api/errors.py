"""Errors as RFC 9457 Problem Details, with field-level messages a person can act on."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexing.index_types import IndexUnavailableError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)

_TITLES = {
    400: "Requête invalide",
    401: "Authentification requise",
    403: "Accès refusé",
    404: "Ressource introuvable",
    405: "Méthode non autorisée",
    409: "Conflit",
    413: "Requête trop volumineuse",
    415: "Type de contenu non pris en charge",
    422: "Données invalides",
    429: "Trop de requêtes",
    503: "Service momentanément indisponible",
}
TITLES = _TITLES  # public: the OpenAPI document (service/api/openapi.py) names statuses the same way


class DomainError(Exception):
    """An error a caller can fix; carries the HTTP status and the offending fields."""

    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.headers = headers or {}
        self.errors: list[dict[str, str]] = []  # several fields at once (overrides `field`)
        if status_code is not None:
            self.status_code = status_code


class NotFoundError(DomainError):
    status_code = 404


class ConflictError(DomainError):
    status_code = 409


class InvalidFieldError(DomainError):
    status_code = 422


class TooManyRequests(DomainError):
    """Past a rate limit: 429 with Retry-After, and a message saying when to try again."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


def problem(status: int, detail: str, *, errors: Sequence[dict[str, str]] = (), **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Erreur"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = list(errors)
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


_MESSAGES = {
    "missing": "champ obligatoire",
    "string_too_short": "ne doit pas être vide",
    "json_invalid": "le corps de la requête n'est pas un JSON valide",
    "extra_forbidden": "champ inconnu",
}


def _field_name(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


_VISIBLE = re.compile(r"^\^\(\\s\*\[\^\\s\\u0000\]\)\{(\d+)\}$")  # service/api/text.visible_pattern


def _pattern_message(pattern: object) -> str:
    match = _VISIBLE.match(str(pattern))
    if match is None:
        return "format non accepté"
    n = int(match.group(1))
    return "ne doit pas être vide" if n == 1 else f"{n} caractères visibles au moins"


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    errors = []
    for err in exc.errors():
        kind, ctx = err.get("type", ""), err.get("ctx") or {}
        if kind == "string_pattern_mismatch":
            message = _pattern_message(ctx.get("pattern"))
        elif kind in ("string_too_long", "too_long") and "max_length" in ctx:
            unit = "caractères" if kind == "string_too_long" else "éléments"
            message = f"{ctx['max_length']} {unit} au plus"
        elif kind == "less_than_equal" and "le" in ctx:
            message = f"doit être inférieur ou égal à {ctx['le']}"
        elif kind == "greater_than_equal" and "ge" in ctx:
            message = f"doit être supérieur ou égal à {ctx['ge']}"
        elif kind in ("int_parsing", "int_type"):
            message = "doit être un nombre entier"
        elif kind in ("enum", "literal_error") and "expected" in ctx:
            message = f"valeur attendue : {ctx['expected']}"
        else:
            message = _MESSAGES.get(err.get("type", ""), err.get("msg", "valeur invalide"))
        # Pydantic prefixes custom messages with "Value error, "; keep only ours.
        message = message.removeprefix("Value error, ")
        # A JSON syntax error's location is a character offset, not a field.
        field = "body" if err.get("type") == "json_invalid" else _field_name(err.get("loc", ()))
        errors.append({"field": field, "message": message})
    return errors


NUMBER_TOO_LARGE = "un nombre envoyé (identifiant, page…) est trop grand"
DATABASE_UNAVAILABLE = (
    "La base de données est momentanément injoignable : réessayez dans quelques instants. "
    "Rien n'a été enregistré par cette requête."
)
DATABASE_BUSY = (
    "Le site est très sollicité en ce moment (aucune connexion libre à la base de données) : "
    "réessayez dans quelques instants. Rien n'a été enregistré par cette requête."
)
# What a lost or refused database connection raises (server stopped, restarting, network cut), and a
# pool with no free connection within RETEX_DB_POOL_TIMEOUT: all answered 503 + Retry-After.
DATABASE_DOWN_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError, PoolTimeout)
RETRY_AFTER_SECONDS = 5
INDEX_UNAVAILABLE = (
    "La recherche est momentanément indisponible (serveur d'index injoignable) : "
    "réessayez dans quelques instants."
)


def database_unavailable_problem(exc: Exception | None = None) -> JSONResponse:
    response = problem(503, DATABASE_BUSY if isinstance(exc, PoolTimeout) else DATABASE_UNAVAILABLE)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        summary = "; ".join(f"{e['field']} : {e['message']}" for e in errors)
        return problem(422, summary or "données invalides", errors=errors)

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        # The database refused a value (e.g. a NUL character on PostgreSQL): the caller's input.
        return problem(400, "une valeur envoyée n'est pas acceptée (caractère invalide ?)")

    async def _database_down(_: Request, exc: Exception) -> JSONResponse:
        # The transaction was rolled back by the session dependency: nothing is half-written.
        log.warning("database unavailable: %s", str(exc).splitlines()[0] if str(exc) else exc)
        return database_unavailable_problem(exc)

    for error_type in DATABASE_DOWN_ERRORS:
        app.add_exception_handler(error_type, _database_down)

    @app.exception_handler(OverflowError)
    async def _overflow(_: Request, exc: OverflowError) -> JSONResponse:
        # A number past the database's integers (SQLite: 2^63) in a path or query: the caller's input.
        return problem(400, NUMBER_TOO_LARGE)

    @app.exception_handler(IndexUnavailableError)
    async def _index_down(_: Request, exc: IndexUnavailableError) -> JSONResponse:
        log.warning("search index unavailable: %s", exc)
        response = problem(503, INDEX_UNAVAILABLE)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        errors = exc.errors or ([{"field": exc.field, "message": exc.message}] if exc.field else [])
        response = problem(exc.status_code, exc.message, errors=errors)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "Erreur")
        errors: list[dict[str, str]] = []
        if exc.status_code == 400 and "parsing the body" in detail:
            # Starlette's message for a body it cannot decode (e.g. invalid UTF-8).
            detail = "le corps de la requête n'est pas un JSON UTF-8 valide"
            errors = [{"field": "body", "message": detail}]
        response = problem(exc.status_code, detail, errors=errors)
        if exc.headers:
            response.headers.update(exc.headers)
        return response
