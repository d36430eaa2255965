"""Which pooling bodies serve a territory's communes, and the sentence that says so:
« À côté de vous, Géo17 - Soluris met un SIG mutualisé à disposition des communes de Charente-Maritime »."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.provenance import provenance_of
from service.organisations.schemas import OrganisationRef
from service.pooling.models import PoolingOffer, pooling_offer_territories
from service.pooling.schemas import PoolingOfferOut
from service.territories.codes import departement_key
from service.territories.models import Territory, TerritoryKind
from service.territories.schemas import TerritoryRef
from service.textkeys import fold

LEVELS = {1: "intercommunal", 2: "departemental", 3: "regional"}
SHARED_TOOLS = "mise à disposition d’outils mutualisés"


@dataclass
class PoolingMatch:
    offer: PoolingOffer
    via: Territory  # the territory of the offer's perimeter that holds the reader's territory
    explanation: str


def covering_territories(session: Session, territory: Territory) -> list[Territory]:
    """The reader's intercommunality and département (a commune's, an EPCI's: itself and its département)."""
    found: list[Territory] = []
    if territory.kind in (TerritoryKind.epci, TerritoryKind.ept):
        found.append(territory)
    elif territory.parent_epci is not None:
        found.append(territory.parent_epci)
    if territory.kind is TerritoryKind.departement:
        found.append(territory)
    elif territory.departement_code and territory.kind is not TerritoryKind.region:
        dep = session.scalar(
            select(Territory).where(Territory.code == departement_key(territory.departement_code))
        )
        if dep is not None:
            found.append(dep)
    return found


def _tool(offer: PoolingOffer) -> str:
    text = f" {fold(offer.description)} "
    geo = "geo" in fold(offer.organisation.name) or "geo" in (offer.link or "")  # Géo17, GéoPal, TIGEO…
    if SHARED_TOOLS in offer.service_list:
        if geo or " sig " in text or "information geographique" in text or "cartograph" in text:
            return "un SIG mutualisé"
        return "des outils mutualisés"
    return "son accompagnement"


def explain(offer: PoolingOffer, via: Territory) -> str:
    where = (
        f"membres de {via.name}" if via.kind in (TerritoryKind.epci, TerritoryKind.ept) else f"de {via.name}"
    )
    others = [s for s in offer.service_list if s != SHARED_TOOLS]
    extra = f" ({', '.join(others)})" if others else ""
    who = offer.organisation.name
    return f"À côté de vous, {who} met {_tool(offer)} à disposition des communes {where}{extra}."


def offers_for(session: Session, territory: Territory) -> list[PoolingMatch]:
    """The offers whose perimeter holds the territory: the intercommunality's first, then the département's
    (then by name)."""
    covering = covering_territories(session, territory)
    if not covering:
        return []
    order = {t.id: i for i, t in enumerate(covering)}
    rows = session.execute(
        select(PoolingOffer, pooling_offer_territories.c.territory_id)
        .join(pooling_offer_territories, pooling_offer_territories.c.offer_id == PoolingOffer.id)
        .where(pooling_offer_territories.c.territory_id.in_(list(order)))
    ).all()
    by_id = {t.id: t for t in covering}
    best: dict[int, tuple[PoolingOffer, Territory]] = {}
    for offer, territory_id in rows:
        current = best.get(offer.id)
        if current is None or order[territory_id] < order[current[1].id]:
            best[offer.id] = (offer, by_id[territory_id])
    ranked = sorted(
        best.values(), key=lambda ov: (order[ov[1].id], ov[0].level, fold(ov[0].organisation.name))
    )
    return [PoolingMatch(offer, via, explain(offer, via)) for offer, via in ranked]


def _ref(t: Territory) -> TerritoryRef:
    return TerritoryRef(code=t.code, name=t.name, kind=t.kind)


def to_out(offer: PoolingOffer, match: PoolingMatch | None = None) -> PoolingOfferOut:
    return PoolingOfferOut(
        organisation=OrganisationRef.model_validate(offer.organisation),
        level=LEVELS.get(offer.level, "autre"),
        perimeter_label=offer.perimeter_label,
        perimeter=[_ref(t) for t in offer.territories],
        services=offer.service_list,
        description=offer.description,
        link=offer.link,
        via=_ref(match.via) if match is not None else None,
        explanation=match.explanation if match is not None else None,
        provenance=provenance_of(offer),
    )
