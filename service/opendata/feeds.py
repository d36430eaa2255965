"""Which cases each Atom feed lists: the latest overall, of a theme, of a territory and its similar
territories, or of a saved search (its parameters in the feed's URL)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexing.vector_index import VectorIndex
from service.api.atom import FEED_SIZE
from service.api.errors import NotFoundError
from service.casestudies.models import CaseStudy, PublicationState
from service.opendata.atom import case_updated
from service.search import pipeline
from service.search.pipeline import SearchQuery
from service.search.service import load_cases
from service.search_engine.engine import SearchEngine
from service.territories.models import Territory
from service.territory_insights.experiences import experiences_for
from service.themes.listing import find_theme
from service.themes.models import Theme


def newest_first(cases: Sequence[CaseStudy]) -> list[CaseStudy]:
    return sorted(cases, key=lambda c: (case_updated(c), c.id), reverse=True)[:FEED_SIZE]


def latest(session: Session) -> list[CaseStudy]:
    stmt = (
        select(CaseStudy)
        .where(CaseStudy.publication_state == PublicationState.published)
        .order_by(CaseStudy.updated_at.desc(), CaseStudy.id.desc())
        .limit(FEED_SIZE)
    )
    return list(session.scalars(stmt))


def of_theme(session: Session, slug: str) -> tuple[Theme, list[CaseStudy]]:
    theme = find_theme(session, slug=slug)
    if theme is None:
        raise NotFoundError(f"Aucun thème « {slug} ».")
    stmt = (
        select(CaseStudy)
        .where(
            CaseStudy.publication_state == PublicationState.published,
            CaseStudy.themes.any(Theme.id == theme.id),
        )
        .order_by(CaseStudy.updated_at.desc(), CaseStudy.id.desc())
        .limit(FEED_SIZE)
    )
    return theme, list(session.scalars(stmt))


def of_territory(session: Session, passages: VectorIndex | None, territory: Territory) -> list[CaseStudy]:
    """Its own cases (or its EPCI's members'), then those of the territories most like it."""
    own = list(
        session.scalars(
            select(CaseStudy).where(
                CaseStudy.publication_state == PublicationState.published,
                CaseStudy.territories.any(
                    (Territory.id == territory.id) | (Territory.parent_epci_id == territory.id)
                ),
            )
        )
    )
    _, similar, _ = experiences_for(session, passages, territory=territory, scope="france", limit=FEED_SIZE)
    seen = {c.id for c in own}
    return newest_first(own + [e.case for e in similar if e.case.id not in seen])


def of_search(session: Session, engine: SearchEngine, query: SearchQuery) -> list[CaseStudy]:
    """The best matches of a saved search, newest first: a new case that matches appears at the top."""
    ids = pipeline.case_ids(session, engine, query)[:FEED_SIZE]
    return newest_first(list(load_cases(session, ids).values()))
