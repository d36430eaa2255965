"""Published case studies read in id order, one batch at a time, as flat export rows.

Memory stays constant whatever the number of cases: each batch is loaded with its relations in a few
queries (selectin), turned into plain dicts, and the session forgets it before the next batch. Filters
are the search filters (service/search/service.py), applied to the same payload the index stores, so an
export "filtered like search" keeps exactly the cases a filtered search can return."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from service.api.datetimes import as_utc
from service.casestudies.completeness import is_short
from service.casestudies.links import origins_for
from service.casestudies.models import SECTIONS, CaseStudy, LinkOrigin, PublicationState
from service.casestudies.provenance import source_of
from service.contests.distinctions import distinction_values
from service.opendata.licences import licence_name, licence_url
from service.search.service import FILTER_FIELDS, SearchFilters
from service.search_engine.documents import case_document

BATCH = 500


def matches(filters: SearchFilters, payload: dict[str, Any]) -> bool:
    """The index filter's semantics: every filter given must share a value with the case."""
    for param, wanted in filters.values.items():
        if not wanted:
            continue
        value = payload.get(FILTER_FIELDS[param])
        have = value if isinstance(value, list) else ([value] if value is not None else [])
        if not {str(v) for v in have} & {str(w) for w in wanted}:
            return False
    return True


Origins = dict[str, dict[tuple[int, int], tuple[str, float | None]]]


def export_row(case: CaseStudy, *, base_url: str, origins: Origins | None = None) -> dict[str, Any]:
    origins = origins or {"territory": {}, "theme": {}, "software": {}}

    def origin(kind: str, target: int) -> tuple[str, float | None]:
        return origins[kind].get((case.id, target), ("declared", None))

    source = source_of(case)
    row: dict[str, Any] = {
        "id": case.id,
        "slug": case.slug,
        "url": f"{base_url}/experiences/{case.slug}",
        "title": case.title,
        "summary": case.summary,
        "status": case.status.value,
        "started_on": case.started_on.isoformat() if case.started_on else None,
        "ended_on": case.ended_on.isoformat() if case.ended_on else None,
        "published_at": _iso(case.published_at),
        "updated_at": _iso(case.updated_at),
        "themes": [t.slug for t in case.themes],
        # Themes and software Retex suggested from the text, not yet confirmed by an author.
        "themes_suggested": [t.slug for t in case.themes if origin("theme", t.id)[0] == LinkOrigin.detected],
        "territories": [
            {
                "code": t.code,
                "name": t.name,
                "kind": t.kind.value,
                "origin": origin("territory", t.id)[0],
                "confidence": origin("territory", t.id)[1],
            }
            for t in case.territories
        ],
        "scope": case.scope.value,
        "completeness": case.completeness,
        "short": is_short(case),
        "software": [s.name for s in case.software],
        "software_suggested": [
            s.name for s in case.software if origin("software", s.id)[0] == LinkOrigin.detected
        ],
        "organisation": case.organisation.name if case.organisation else None,
        "licence": case.licence,
        "licence_name": licence_name(case.licence),
        "licence_url": licence_url(case.licence),
        "attribution": case.attribution,
        "source_url": case.source_url,
        "source": source.name if source else "Retex",
        "source_date": source.snapshot.isoformat() if source else None,
    }
    for name in SECTIONS:
        row[name] = getattr(case, name) or ""
    return row


def _iso(value: Any) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def published_rows(session: Session, *, filters: SearchFilters, base_url: str) -> Iterator[dict[str, Any]]:
    last_id = 0
    while True:
        batch = list(
            session.scalars(
                select(CaseStudy)
                .where(CaseStudy.publication_state == PublicationState.published, CaseStudy.id > last_id)
                .options(selectinload(CaseStudy.territories), selectinload(CaseStudy.themes))
                .order_by(CaseStudy.id)
                .limit(BATCH)
            )
        )
        if not batch:
            return
        last_id = batch[-1].id
        ids = [case.id for case in batch]
        origins: Origins = {
            kind: origins_for(session, kind, ids) for kind in ("territory", "theme", "software")
        }
        won = distinction_values(session, ids)
        rows = [
            export_row(case, base_url=base_url, origins=origins)
            for case in batch
            if matches(filters, case_document(case, distinctions=won.get(case.id, [])).payload)
        ]
        session.expunge_all()  # forget the batch: memory does not grow with the number of cases
        yield from rows
