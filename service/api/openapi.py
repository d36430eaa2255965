"""Make the published OpenAPI document tell the truth about errors and headers.

FastAPI documents a 422 `HTTPValidationError` in `application/json`; Retex answers every error as RFC 9457
Problem Details in `application/problem+json` (service/api/errors.py). This module rewrites the generated
document once: one `Problem` schema, the error statuses each operation can really return, and the headers
every response carries (request id, ETag on reads)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from service.api.errors import PROBLEM_JSON, TITLES

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "Erreur au format RFC 9457 (Problem Details). / Error as RFC 9457 Problem Details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "Toujours `about:blank`."},
        "title": {"type": "string", "description": "Intitulé du statut HTTP, en français."},
        "status": {"type": "integer", "description": "Le statut HTTP."},
        "detail": {"type": "string", "description": "Ce qui ne va pas, en français."},
        "errors": {
            "type": "array",
            "description": "Un message par champ en cause.",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

_EXAMPLES: dict[int, tuple[str, list[dict[str, str]]]] = {
    400: ("une valeur envoyée n'est pas acceptée (caractère invalide ?)", []),
    401: ("Clé d'API inconnue ou révoquée.", []),
    403: ("Une clé partenaire ne permet que la lecture et la recherche.", []),
    409: ("Une expérience publiée ne peut pas devenir brouillon.", []),
    429: ("Quota de la clé dépassé (600 requêtes par minute). Réessayez dans 12 s.", []),
    404: ("Aucune expérience n° 123456.", []),
    413: (
        "Le corps de la requête dépasse la limite de 1000000 octets.",
        [{"field": "body", "message": "plus de 1000000 octets"}],
    ),
    422: ("limit : Input should be less than or equal to 100", [{"field": "limit", "message": "…"}]),
    503: ("La recherche démarre : réessayez dans quelques secondes.", []),
}

REQUEST_ID_HEADER: dict[str, Any] = {
    "description": "Identifiant de la requête (celui de `X-Request-ID` s'il est fourni), dans les journaux.",
    "schema": {"type": "string"},
}
ETAG_HEADER: dict[str, Any] = {
    "description": "Version de la représentation ; renvoyez-la dans `If-None-Match` pour obtenir un 304.",
    "schema": {"type": "string"},
}


def problem_response(status: int) -> dict[str, Any]:
    detail, errors = _EXAMPLES.get(status, (TITLES.get(status, "Erreur"), []))
    example: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Erreur"),
        "status": status,
        "detail": detail,
    }
    if errors:
        example["errors"] = errors
    return {
        "description": TITLES.get(status, "Erreur"),
        "headers": {"X-Request-ID": REQUEST_ID_HEADER},
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}, "example": example}},
    }


def error_statuses(method: str, operation: dict[str, Any]) -> set[int]:
    """What any operation of this shape can answer besides its own documented errors."""
    params = operation.get("parameters", [])
    # 400: undecodable input; 503: the database or the index is away (service/api/errors.py).
    statuses = {400, 503}
    if params or "requestBody" in operation:
        statuses.add(422)
    if any(p.get("in") == "path" for p in params):
        statuses.add(404)
    if "requestBody" in operation:
        statuses.update({404, 413})  # a body can name something that does not exist
    if operation.get("security"):
        # Every call may carry a key: unknown (401), without the right or role (403), over quota (429).
        statuses.update({401, 403, 429})
    if method in ("post", "put", "patch", "delete"):
        statuses.add(409)  # the state of the resource forbids it (workflow, duplicates)
    return statuses


def document_problems(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components["Problem"] = PROBLEM_SCHEMA
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if operation.get("security"):
                # A key is optional everywhere: who may do what is decided per request (401/403 above).
                operation["security"] = [{}, *operation["security"]]
            responses: dict[str, Any] = operation.setdefault("responses", {})
            wanted = error_statuses(method, operation) | {
                int(s) for s in responses if s.startswith(("4", "5"))
            }
            for code in sorted(wanted):
                responses[str(code)] = problem_response(code)
            for status, response in responses.items():
                headers = response.setdefault("headers", {})
                headers.setdefault("X-Request-ID", REQUEST_ID_HEADER)
                if method == "get" and status == "200" and "application/json" in response.get("content", {}):
                    headers.setdefault("ETag", ETAG_HEADER)


def install_openapi(app: FastAPI) -> None:
    """Post-process the generated document once, on first request for it."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_problems(generate())  # generate() stores its result in app.openapi_schema
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
