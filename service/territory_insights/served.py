"""The territories an experience serves, not only the one that carried it: a syndicat, an EPCI or a
département that equips its communes serves those communes; a case written for « les petites
communes » (or « moins de 3 500 habitants ») serves the communes of that size band.

`served_peer` picks, among the communes the carrier serves (in the target band when the text names
one), the one closest in size to the reader: the fit then compares the reader with a beneficiary of
the project, and its explanation says so."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Integer, Select, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy
from service.territories.models import Territory, TerritoryKind

SMALL_COMMUNES = 3_500  # the threshold French law uses for « petites communes » (scrutin, marchés…)
_SMALL = re.compile(
    r"petites? communes|communes? (?:de taille modeste|rurales?|de petite taille)|petites? collectivit[ée]s",
    re.IGNORECASE,
)
_UNDER = re.compile(r"moins de (\d{1,3}(?:[\s\u00a0\u202f.]?\d{3})*) habitants", re.IGNORECASE)
GROUPINGS = (TerritoryKind.departement, TerritoryKind.epci, TerritoryKind.ept)


@dataclass(frozen=True)
class Served:
    member: Territory  # a commune the project serves, the closest in size to the reader
    carrier: Territory
    max_population: int | None  # the target band's ceiling the text names, if any
    count: int  # how many communes of the carrier are in that band


def target_ceiling(case: CaseStudy) -> int | None:
    """The population ceiling of the communes the text says it serves, or None."""
    text = " ".join((case.title, case.summary, case.context or "", case.transferability or ""))
    found = _UNDER.search(text)
    if found:
        return int(re.sub(r"\D", "", found.group(1)))
    return SMALL_COMMUNES if _SMALL.search(text) else None


def _members(carrier: Territory) -> Select[Territory]:
    stmt = select(Territory).where(Territory.kind == TerritoryKind.commune)
    if carrier.kind is TerritoryKind.departement:
        return stmt.where(Territory.departement_code == carrier.departement_code)
    return stmt.where(Territory.parent_epci_id == carrier.id)


def served_peer(session: Session, case: CaseStudy, carrier: Territory, reader: Territory) -> Served | None:
    """The beneficiary of `carrier`'s project most like the reader (a commune), or None when the carrier
    serves no communes (a commune itself) or the reader is not a commune."""
    ceiling = target_ceiling(case)
    return served_peers(session, [(carrier, ceiling)], reader).get((carrier.id, ceiling))


def served_peers(
    session: Session, carriers: Iterable[tuple[Territory, int | None]], reader: Territory
) -> dict[tuple[int, int | None], Served]:
    """`served_peer` for many (carrier, target ceiling) pairs at once — the cases of a page of search
    results — in two statements whatever their number; keyed by (carrier id, ceiling)."""
    if reader.kind is not TerritoryKind.commune:
        return {}
    wanted = {(c.id, ceiling): c for c, ceiling in carriers if c.kind in GROUPINGS}
    if not wanted:
        return {}
    size = reader.population or 0
    keys = list(wanted)
    parts = []
    for n, (_, ceiling) in enumerate(keys):
        stmt = _members(wanted[keys[n]])
        if ceiling is not None:
            stmt = stmt.where(Territory.population <= ceiling)
        ranked = (
            stmt.with_only_columns(
                literal_column(str(n), Integer).label("ask"),
                Territory.id.label("member_id"),
                func.row_number()
                .over(order_by=(func.abs(func.coalesce(Territory.population, 0) - size), Territory.code))
                .label("rank"),
                func.count().over().label("count"),
            )
        ).subquery()
        parts.append(select(ranked.c.ask, ranked.c.member_id, ranked.c["count"]).where(ranked.c.rank == 1))
    rows = session.execute(union_all(*parts) if len(parts) > 1 else parts[0]).all()
    members = {
        t.id: t for t in session.scalars(select(Territory).where(Territory.id.in_({r[1] for r in rows})))
    }
    found = {}
    for ask, member_id, count in rows:
        carrier_id, ceiling = keys[ask]
        found[(carrier_id, ceiling)] = Served(
            members[member_id], wanted[(carrier_id, ceiling)], ceiling, count
        )
    return found
