"""Reading territories: lookup by code and fast name-prefix search."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from service.api.errors import InvalidFieldError, NotFoundError
from service.territories.codes import normalise_code
from service.territories.models import Territory, TerritoryKind
from service.territories.schemas import TerritoryOut, TerritoryRef
from service.textkeys import fold


def to_out(territory: Territory) -> TerritoryOut:
    epci = territory.parent_epci
    return TerritoryOut(
        code=territory.code,
        name=territory.name,
        kind=territory.kind,
        epci_form=territory.epci_form,
        population=territory.population,
        siren=territory.siren,
        departement_code=territory.departement_code,
        region_code=territory.region_code,
        zone=territory.zone,
        postal_codes=territory.postal_codes.split() if territory.postal_codes else [],
        epci=TerritoryRef.model_validate(epci) if epci else None,
        updated_at=territory.updated_at,
    )


def get_by_code(session: Session, *, code: str) -> Territory:
    territory = session.scalar(select(Territory).where(Territory.code == normalise_code(code)))
    if territory is None:
        raise NotFoundError(f"Aucun territoire avec le code « {code} ».")
    return territory


def search_statement(
    *, q: str | None, kind: TerritoryKind | None, departement: str | None
) -> Select[Territory]:
    """Name prefix (accent/case-insensitive), INSEE/SIREN code or postal code; biggest first."""
    stmt = select(Territory)
    if q:
        key = fold(q)
        if key.isdigit() or (len(q) <= 9 and q[:2].upper() in ("2A", "2B")):
            stmt = stmt.where(
                or_(Territory.code == q.upper(), Territory.siren == q, Territory.postal_codes.contains(q))
            )
        elif key:
            # A range on the indexed key: a prefix match SQLite and PostgreSQL both serve from the index.
            stmt = stmt.where(Territory.name_key >= key, Territory.name_key < key + "\uffff")
    if kind:
        stmt = stmt.where(Territory.kind == kind)
    if departement:
        stmt = stmt.where(Territory.departement_code == departement)
    return stmt


def search(
    session: Session,
    *,
    q: str | None,
    kind: TerritoryKind | None,
    departement: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Territory], int]:
    stmt = search_statement(q=q, kind=kind, departement=departement)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(Territory.population.desc().nulls_last(), Territory.code).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def find_by_code(session: Session, *, code: str) -> Territory | None:
    return session.scalar(select(Territory).where(Territory.code == normalise_code(code)))


def filter_territory(session: Session, code: str | None, *, field: str = "territory") -> Territory | None:
    """The territory a list is filtered on; an unknown code is a bad filter (422), not a missing page."""
    if code is None:
        return None
    found = find_by_code(session, code=code)
    if found is None:
        raise InvalidFieldError(f"aucun territoire avec le code « {code} »", field=field)
    return found
