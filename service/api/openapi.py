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
from service.api.idempotency import document_idempotency

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
    401: (
        "Clé d'API révoquée : demandez-en une nouvelle. / Revoked API key: ask for a new one.",
        [{"field": "Authorization", "message": "Clé d'API révoquée : demandez-en une nouvelle. / …"}],
    ),
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

RATELIMIT_HEADERS: dict[str, Any] = {
    "RateLimit-Policy": {
        "description": (
            "Quotas qui s'appliquent à la requête (IETF draft-ietf-httpapi-ratelimit-headers) : "
            '`"key";q=600;w=60` (clé d\'API), `"anonymous";q=1200;w=60` (par adresse, sans clé), '
            '`"anonymous-search";q=60;w=60` (recherches sans clé).'
        ),
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": (
            'Ce qui reste de chaque quota et dans combien de secondes il se renouvelle : `"key";r=598;t=41`.'
        ),
        "schema": {"type": "string"},
    },
}

# One line per tag (the groups of a generated client and of /docs), French then English.
TAGS: list[dict[str, str]] = [
    {"name": "search", "description": "Recherche par le sens. / Semantic search."},
    {"name": "case-studies", "description": "Retours d'expérience. / Case studies."},
    {"name": "territories", "description": "Territoires et territoires comparables. / Territories."},
    {"name": "organisations", "description": "Collectivités et structures. / Organisations."},
    {"name": "software", "description": "Logiciels utilisés. / Software in use."},
    {"name": "themes", "description": "Thèmes. / Themes."},
    {"name": "discussions", "description": "Discussions entre pairs. / Peer discussions."},
    {"name": "moderation", "description": "Relecture et signalements. / Moderation."},
    {"name": "accounts", "description": "Comptes, membres et clés d'API. / Accounts and API keys."},
    {"name": "open-data", "description": "Exports ouverts et flux Atom. / Open data exports, Atom feeds."},
    {"name": "funded-projects", "description": "Projets financés. / Funded projects."},
    {"name": "events", "description": "Rencontres, agendas iCalendar. / Events and calendars."},
    {"name": "contests", "description": "Concours et labels. / Contests and labels."},
    {"name": "collections", "description": "Sélections d'expériences. / Curated collections."},
    {"name": "sync", "description": "Tenir un miroir à jour : suppressions. / Mirror sync: removals."},
    {"name": "webhooks", "description": "Être prévenu des changements. / Webhooks: change notifications."},
    {"name": "public-code", "description": "Code public des collectivités. / Public code."},
    {"name": "health", "description": "État du service. / Service health."},
]
# Examples of the main operations' parameters (operation id → parameter → value), shown by /docs and
# used by generated clients' documentation.
PARAMETER_EXAMPLES: dict[str, dict[str, object]] = {
    "searchCases": {"q": "mutualiser l'achat de logiciels", "theme": "achats-mutualisation", "page_size": 10},
    "listCaseStudies": {"theme": "open-data", "limit": 20},
    "getCaseStudyBySlug": {"slug": "portail-rse"},
    "listTerritories": {"limit": 20},
    "getTerritory": {"code": "83050"},
    "listSimilarTerritories": {"code": "83050"},
    "listTerritoryExperiences": {"code": "83050"},
    "getTerritoryFeed": {"code": "83050"},
    "exportCaseStudiesCsv": {"departement": "83"},
}


def document_names(schema: dict[str, Any]) -> None:
    """Tag descriptions and parameter examples (service/api/operation_ids.py names the operations)."""
    operations = [op for item in schema.get("paths", {}).values() for op in item.values()]
    used = {t for op in operations for t in op.get("tags", [])}
    schema["tags"] = [t for t in TAGS if t["name"] in used]
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            examples = PARAMETER_EXAMPLES.get(operation.get("operationId", ""), {})
            for parameter in operation.get("parameters", []):
                if parameter["name"] in examples:
                    parameter["example"] = examples[parameter["name"]]


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
                if status != "401":  # a refused credential is counted by no budget
                    for name, header in RATELIMIT_HEADERS.items():
                        headers.setdefault(name, header)
                if method == "get" and status == "200" and "application/json" in response.get("content", {}):
                    headers.setdefault("ETag", ETAG_HEADER)


def install_openapi(app: FastAPI) -> None:
    """Post-process the generated document once, on first request for it."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()  # stores its result in app.openapi_schema
            document_problems(schema)
            document_names(schema)
            document_idempotency(schema)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
