"""A case study row -> the plain document the index stores (text + filter payload)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import object_session

from indexing.documents import CaseDocument
from service.casestudies.models import SECTIONS, CaseStudy
from service.contests.distinctions import distinction_values
from service.territories.bands import population_band


def case_document(case: CaseStudy, *, distinctions: Sequence[str] | None = None) -> CaseDocument:
    """`distinctions`: the case's values from `distinction_values` when the caller loaded them for a
    batch; otherwise they are read in the case's session."""
    territories = case.territories
    year = (
        case.started_on.year if case.started_on else (case.published_at.year if case.published_at else None)
    )
    payload: dict[str, object] = {
        "publication_state": case.publication_state.value,
        "status": case.status.value,
        "themes": [t.slug for t in case.themes],
        "territory_codes": sorted(
            {t.code for t in territories}
            | {t.parent_epci.code for t in territories if t.parent_epci is not None}
        ),
        "territory_kinds": sorted({t.kind.value for t in territories}),
        "departements": sorted({t.departement_code for t in territories if t.departement_code}),
        "regions": sorted({t.region_code for t in territories if t.region_code}),
        "population_bands": sorted({b for t in territories if (b := population_band(t.population))}),
    }
    if distinctions is None:
        session = object_session(case)
        distinctions = distinction_values(session, [case.id]).get(case.id, []) if session else []
    if distinctions:
        payload["distinctions"] = list(distinctions)
    if year is not None:
        payload["year"] = year
    if case.organisation_id is not None:
        payload["organisation_id"] = case.organisation_id
    return CaseDocument(
        case_id=case.id,
        title=case.title,
        summary=case.summary,
        sections={name: getattr(case, name) or "" for name in SECTIONS},
        payload=payload,
    )
