"""A territory's profile: the official data, what it does on Retex, and what is derived from both
(population band, rural/urban class, thematic vector)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexing.vector_index import VectorIndex
from service.casestudies.schemas import CaseStudySummary
from service.organisations.models import Organisation
from service.organisations.schemas import OrganisationRef
from service.software.models import SoftwareUsage
from service.software.schemas import SoftwareRef
from service.territories import service
from service.territories.bands import BAND_LABELS, population_band
from service.territories.codes import departement_key, region_key
from service.territories.features import RURAL_LABELS, facts_of
from service.territories.models import Territory, TerritoryKind
from service.territories.schemas import PopulationBandOut, TerritoryRef
from service.territory_insights.activity import case_vectors, cases_of_territories, mean_direction
from service.territory_insights.activity_schemas import (
    SoftwareInTerritory,
    TerritoryProfile,
    ThematicProfile,
    ThemeCount,
)
from service.territory_insights.outputs import brief


def _epci_members(session: Session, territory: Territory) -> list[Territory]:
    """Members of an EPCI; for a commune, the other members of its EPCI."""
    if territory.kind in (TerritoryKind.epci, TerritoryKind.ept):
        epci_id = territory.id
    elif territory.parent_epci_id is not None:
        epci_id = territory.parent_epci_id
    else:
        return []
    stmt = (
        select(Territory)
        .where(Territory.parent_epci_id == epci_id, Territory.id != territory.id)
        .order_by(Territory.population.desc().nulls_last(), Territory.code)
    )
    return list(session.scalars(stmt))


def _software(
    session: Session,
    territory: Territory,
    case_software: dict[int, list[int]],
    software_refs: dict[int, SoftwareRef],
) -> list[SoftwareInTerritory]:
    """Software cited by its cases, and software its organisations declare (SILL usages)."""
    usages = session.scalars(
        select(SoftwareUsage)
        .join(Organisation, Organisation.id == SoftwareUsage.organisation_id)
        .where(Organisation.territory_id == territory.id)
    ).all()
    entries: dict[int, SoftwareInTerritory] = {}
    for usage in usages:
        entry = entries.setdefault(
            usage.software_id,
            SoftwareInTerritory(software=SoftwareRef.model_validate(usage.software), via=[]),
        )
        if "usage" not in entry.via:
            entry.via.append("usage")
        if usage.organisation_id not in {o.id for o in entry.organisations}:
            entry.organisations.append(OrganisationRef.model_validate(usage.organisation))
    for software_id, case_ids in case_software.items():
        entry = entries.setdefault(
            software_id, SoftwareInTerritory(software=software_refs[software_id], via=[])
        )
        entry.via.append("case")
        entry.case_ids = sorted(case_ids)
    return sorted(entries.values(), key=lambda e: e.software.name.lower())


def territory_profile(
    session: Session, passages: VectorIndex | None, *, code: str, include_vector: bool
) -> TerritoryProfile:
    territory = service.get_by_code(session, code=code)
    facts = facts_of(territory)
    activity = cases_of_territories(session, [territory.id]).get(territory.id)
    cases = activity.cases if activity else []
    links = activity.links if activity else {}

    themes: Counter[tuple[str, str]] = Counter((t.slug, t.label) for c in cases for t in c.themes)
    case_software: dict[int, list[int]] = {}
    software_refs: dict[int, SoftwareRef] = {}
    for case in cases:
        for sw in case.software:
            case_software.setdefault(sw.id, []).append(case.id)
            software_refs[sw.id] = SoftwareRef.model_validate(sw)
    software = _software(session, territory, case_software, software_refs)

    vectors = case_vectors(passages, [c.id for c in cases])
    vector = mean_direction(list(vectors.values()))
    band = population_band(territory.population)
    places = {
        t.code: t
        for t in session.scalars(
            select(Territory).where(
                Territory.code.in_(
                    [
                        departement_key(territory.departement_code or ""),
                        region_key(territory.region_code or ""),
                    ]
                )
            )
        )
    }
    departement = places.get(departement_key(territory.departement_code or ""))
    region = places.get(region_key(territory.region_code or ""))
    organisations = session.scalars(
        select(Organisation).where(Organisation.territory_id == territory.id).order_by(Organisation.name)
    ).all()
    epci = territory.parent_epci
    return TerritoryProfile(
        territory=service.to_out(territory),
        population_band=PopulationBandOut(slug=band, label=BAND_LABELS[band]) if band else None,
        rural_class=facts.rural_class,
        rural_label=RURAL_LABELS.get(facts.rural_class or ""),
        epci=brief(facts_of(epci)) if epci is not None else None,
        epci_members=[brief(facts_of(m)) for m in _epci_members(session, territory)],
        departement=TerritoryRef.model_validate(departement) if departement else None,
        region=TerritoryRef.model_validate(region) if region else None,
        zone=territory.zone,
        organisations=[OrganisationRef.model_validate(o) for o in organisations],
        cases_owned=[CaseStudySummary.model_validate(c) for c in cases if "owner" in links[c.id]],
        cases_concerned=[CaseStudySummary.model_validate(c) for c in cases if "concerned" in links[c.id]],
        themes=[ThemeCount(slug=s, label=label, count=n) for (s, label), n in themes.most_common()],
        software=software,
        thematic=ThematicProfile(
            cases=len(vectors),
            vector=[round(float(x), 6) for x in vector] if include_vector and vector is not None else None,
        ),
    )
