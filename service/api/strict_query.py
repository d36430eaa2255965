"""Unknown query parameters are refused (422), naming each with the closest valid name: a misspelt
filter (`departement` for `departements`, `theme_id` for `theme`) silently ignored would answer the
whole collection as if it were the filtered one."""

from __future__ import annotations

import difflib

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from service.api.errors import DomainError


class UnknownParameters(DomainError):
    status_code = 422

    def __init__(self, unknown: list[str], allowed: frozenset[str]) -> None:
        errors = [{"field": name, "message": _message(name, allowed)} for name in unknown]
        super().__init__("; ".join(f"{e['field']} : {e['message']}" for e in errors))
        self.errors = errors


def _message(name: str, allowed: frozenset[str]) -> str:
    close = difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.6)
    if close:
        return f"paramètre inconnu ; vouliez-vous dire « {close[0]} » ?"
    if allowed:
        return "paramètre inconnu ; paramètres acceptés : " + ", ".join(sorted(allowed))
    return "paramètre inconnu ; cette opération n'en accepte aucun"


def _aliases(dependant: Dependant) -> set[str]:
    names: set[str] = set()
    for field in dependant.query_params:
        annotation = field.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):  # a query model
            names.update(f.alias or n for n, f in annotation.model_fields.items())
        else:
            names.add(field.alias)
    for sub in dependant.dependencies:
        names |= _aliases(sub)
    return names


# Routes are not hashable: keyed by id, the route kept alive beside its names (so no id is reused).
_ACCEPTED: dict[int, tuple[APIRoute, frozenset[str]]] = {}


def accepted_parameters(route: APIRoute) -> frozenset[str]:
    """Every query parameter the operation (and its dependencies) reads."""
    known = _ACCEPTED.get(id(route))
    if known is None:
        known = _ACCEPTED[id(route)] = (route, frozenset(_aliases(route.dependant)))
    return known[1]


async def reject_unknown_query(request: Request) -> None:  # pure: no worker thread
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    allowed = accepted_parameters(route)
    unknown = sorted({name for name in request.query_params if name not in allowed})
    if unknown:
        raise UnknownParameters(unknown, allowed)


# Once on the /api/v1 router (service/app.py).
StrictQuery = Depends(reject_unknown_query)
