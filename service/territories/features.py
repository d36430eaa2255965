"""Derived facts of a territory: the rural/urban class, and the plain `TerritoryFacts` the index and the
similarity score work with."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from indexing.territory_index import TerritoryFacts
from service.territories.models import EpciForm, Territory, TerritoryKind

RURAL_LABELS = {"rural": "rural", "intermediaire": "intermédiaire", "urbain": "urbain"}
EPCI_FORM_LABELS = {
    "CC": "communauté de communes",
    "CA": "communauté d'agglomération",
    "CU": "communauté urbaine",
    "METRO": "métropole",
}
_DENSE_FORMS = {EpciForm.cu.value, EpciForm.metropole.value}
URBAN_POPULATION = 10_000
RURAL_POPULATION = 2_000  # INSEE's historical threshold of an "unité urbaine"


def rural_class(kind: str, population: int | None, epci_form: str | None) -> str | None:
    """A documented proxy (no density data is shipped), from the population and the EPCI form.

    commune: « urbain » from 10 000 hab., or from 2 000 hab. inside a communauté urbaine or a
    métropole; « rural » under 2 000 hab. in a communauté de communes (or without EPCI);
    « intermédiaire » otherwise (bourgs and small towns, small communes of an agglomeration).
    EPCI: CC → rural, CA → intermédiaire, CU and métropole → urbain. EPT → urbain.
    Départements, régions and others: no class."""
    if kind == TerritoryKind.commune.value:
        if population is None:
            return None
        if population >= URBAN_POPULATION or (population >= RURAL_POPULATION and epci_form in _DENSE_FORMS):
            return "urbain"
        if population < RURAL_POPULATION and epci_form in (None, EpciForm.cc.value):
            return "rural"
        return "intermediaire"
    if kind == TerritoryKind.epci.value:
        return {"CC": "rural", "CA": "intermediaire"}.get(epci_form or "", "urbain" if epci_form else None)
    if kind == TerritoryKind.ept.value:
        return "urbain"
    return None


def facts_of(territory: Territory) -> TerritoryFacts:
    epci = territory.parent_epci
    own_form = territory.epci_form.value if territory.epci_form else None
    form = own_form or (epci.epci_form.value if epci is not None and epci.epci_form else None)
    kind = territory.kind.value
    return TerritoryFacts(
        territory_id=territory.id,
        code=territory.code,
        name=territory.name,
        kind=kind,
        population=territory.population,
        departement=territory.departement_code,
        region=territory.region_code,
        epci=epci.code if epci is not None else None,
        epci_name=epci.name if epci is not None else None,
        epci_form=form,
        rural_class=rural_class(kind, territory.population, form),
    )


def all_facts(session: Session) -> list[TerritoryFacts]:
    """Every territory as plain facts, in one query (36k rows: a second or so)."""
    parent = aliased(Territory)
    rows = session.execute(
        select(
            Territory.id,
            Territory.code,
            Territory.name,
            Territory.kind,
            Territory.population,
            Territory.departement_code,
            Territory.region_code,
            Territory.epci_form,
            parent.code,
            parent.name,
            parent.epci_form,
        )
        .outerjoin(parent, parent.id == Territory.parent_epci_id)
        .execution_options(yield_per=5_000)
    )
    facts = []
    for tid, code, name, kind, population, dep, reg, own_form, epci_code, epci_name, epci_form in rows:
        form = (own_form or epci_form).value if (own_form or epci_form) else None
        facts.append(
            TerritoryFacts(
                territory_id=tid,
                code=code,
                name=name,
                kind=kind.value,
                population=population,
                departement=dep,
                region=reg,
                epci=epci_code,
                epci_name=epci_name,
                epci_form=form,
                rural_class=rural_class(kind.value, population, form),
            )
        )
    return facts


def territory_count(session: Session) -> int:
    return session.scalar(select(func.count(Territory.id))) or 0
