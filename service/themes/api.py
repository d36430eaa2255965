"""/api/v1/themes"""

from __future__ import annotations

from fastapi import APIRouter, status

from service.api.auth import CurrentPrincipal
from service.api.errors import ConflictError, InvalidFieldError, NotFoundError
from service.api.idempotency import IdempotentRoute
from service.authz.permissions import Action, authorize
from service.db.session import DbSession
from service.textkeys import slugify
from service.themes.listing import all_themes, find_theme
from service.themes.models import Theme
from service.themes.schemas import ThemeIn, ThemeOut, ThemeUpdate

router = APIRouter(prefix="/themes", tags=["themes"], route_class=IdempotentRoute)


@router.get("", response_model=list[ThemeOut], summary="La taxonomie des thèmes")
def list_themes(session: DbSession) -> list[ThemeOut]:
    return [ThemeOut.model_validate(t) for t in all_themes(session)]


@router.get("/{slug}", response_model=ThemeOut, summary="Un thème")
def read_theme(session: DbSession, slug: str) -> ThemeOut:
    theme = find_theme(session, slug=slug)
    if theme is None:
        raise NotFoundError(f"Aucun thème « {slug} ».")
    return ThemeOut.model_validate(theme)


@router.post(
    "",
    response_model=ThemeOut,
    status_code=status.HTTP_201_CREATED,
    summary="Ajouter un thème (administrateurs)",
)
def create_theme(session: DbSession, principal: CurrentPrincipal, data: ThemeIn) -> ThemeOut:
    authorize(principal, Action.manage_themes)
    slug = slugify(data.label)[:80]
    if not slug:
        raise InvalidFieldError("le libellé doit contenir des lettres", field="label")
    if find_theme(session, slug=slug) is not None:
        raise ConflictError(f"Le thème « {slug} » existe déjà.", field="label")
    theme = Theme(slug=slug, label=data.label, description=data.description)
    session.add(theme)
    session.flush()
    return ThemeOut.model_validate(theme)


@router.patch("/{slug}", response_model=ThemeOut, summary="Renommer ou décrire un thème (administrateurs)")
def update_theme(session: DbSession, principal: CurrentPrincipal, slug: str, data: ThemeUpdate) -> ThemeOut:
    authorize(principal, Action.manage_themes)
    theme = find_theme(session, slug=slug)
    if theme is None:
        raise NotFoundError(f"Aucun thème « {slug} ».")
    # The slug stays: it is in URLs, filters and the search index.
    if data.label is not None:
        theme.label = data.label
    if data.description is not None:
        theme.description = data.description
    session.flush()
    return ThemeOut.model_validate(theme)
