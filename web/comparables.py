"""Comparable territories, for the case and territory pages, from the territory similarity service
(service/territory_insights/similarity.py and its index, `app.state.territory_index`).

The pages call `comparable_territories` only. It answers None when the service is absent or its
index is still being built (the pages then leave the section out, or say it is being prepared), and
never raises: comparable territories are derived data, the page must show without them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from service.funding.service import counts_by_territory
from service.territories.models import Territory

log = logging.getLogger(__name__)


@dataclass
class Comparable:
    code: str
    name: str
    kind: str
    population: int | None
    explanation: str
    case_count: int = 0
    funded_count: int = 0  # digital projects funded by the State (DGCL)
    themes: list[str] = field(default_factory=list)


@dataclass
class Comparables:
    ready: bool  # False: the similarity index is being built ("réessayez dans quelques secondes")
    items: list[Comparable] = field(default_factory=list)


def comparable_territories(
    request: Request, session: Session, territory: Territory, *, limit: int = 5
) -> Comparables | None:
    """Territories like `territory`, each with why; None when no similarity service is available."""
    try:  # the service is another package's; guard the import so the pages never depend on it
        from service.territory_insights.similarity import similar_territories
    except ImportError:
        return None
    runtime: Any = getattr(request.app.state, "territory_index", None)
    if runtime is None:
        return None
    if not runtime.ready:
        return Comparables(ready=False)
    engine: Any = getattr(request.app.state, "search", None)
    passages = engine.index if engine is not None else None
    try:
        _, peers = similar_territories(
            session, runtime.index, passages, territory=territory, kind=None, scope="france", limit=limit
        )
    except Exception:  # a derived feature must never break the page that shows it
        log.exception("territory similarity failed for %s", territory.code)
        return None
    funded = counts_by_territory(session, [p.facts.territory_id for p in peers])
    return Comparables(
        ready=True,
        items=[
            Comparable(
                code=p.facts.code,
                name=p.facts.name,
                kind=p.facts.kind,
                population=p.facts.population,
                explanation=p.explanation,
                case_count=len(p.activity.cases) if p.activity else 0,
                funded_count=funded.get(p.facts.territory_id, 0),
                themes=list(p.activity.theme_labels) if p.activity else [],
            )
            for p in peers
        ],
    )


def experiences_like(request: Request, session: Session, territory: Territory, *, limit: int) -> list[Any]:
    """Published experiences of the territories most like `territory`, each with its peer and why
    (service/territory_insights/experiences.py); [] when it fails: derived data never breaks a page."""
    from service.territory_insights.experiences import experiences_for

    engine: Any = getattr(request.app.state, "search", None)
    try:
        _, items, _ = experiences_for(
            session,
            engine.index if engine is not None else None,
            territory=territory,
            scope="france",
            limit=limit,
        )
    except Exception:
        log.exception("experiences of comparable territories failed for %s", territory.code)
        return []
    return items
