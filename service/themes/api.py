"""/api/v1/themes"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from service.api.errors import NotFoundError
from service.db.session import DbSession
from service.themes.models import Theme
from service.themes.schemas import ThemeOut

router = APIRouter(prefix="/themes", tags=["themes"])


@router.get("", response_model=list[ThemeOut], summary="La taxonomie des thèmes")
def list_themes(session: DbSession) -> list[ThemeOut]:
    return [ThemeOut.model_validate(t) for t in session.scalars(select(Theme).order_by(Theme.label))]


@router.get("/{slug}", response_model=ThemeOut, summary="Un thème")
def read_theme(session: DbSession, slug: str) -> ThemeOut:
    theme = session.scalar(select(Theme).where(Theme.slug == slug))
    if theme is None:
        raise NotFoundError(f"Aucun thème « {slug} ».")
    return ThemeOut.model_validate(theme)
