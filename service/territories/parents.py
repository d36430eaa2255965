"""The département and région a territory belongs to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.territories.codes import departement_key, region_key
from service.territories.models import Territory, TerritoryKind


def parents_of(session: Session, *, territory: Territory) -> dict[str, Territory]:
    """{"departement": …, "region": …}: those the territory is inside (not itself), known ones only;
    one query."""
    keys = {}
    if territory.departement_code and territory.kind is not TerritoryKind.departement:
        keys["departement"] = departement_key(territory.departement_code)
    if territory.region_code and territory.kind is not TerritoryKind.region:
        keys["region"] = region_key(territory.region_code)
    if not keys:
        return {}
    found = {t.code: t for t in session.scalars(select(Territory).where(Territory.code.in_(keys.values())))}
    return {role: found[code] for role, code in keys.items() if code in found}
