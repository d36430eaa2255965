"""Reading the theme taxonomy: every theme by label, one theme by its slug."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.themes.models import Theme


def all_themes(session: Session) -> list[Theme]:
    """Every theme (a few dozen rows), in label order."""
    return list(session.scalars(select(Theme).order_by(Theme.label)))


def find_theme(session: Session, *, slug: str) -> Theme | None:
    return session.scalar(select(Theme).where(Theme.slug == slug))
