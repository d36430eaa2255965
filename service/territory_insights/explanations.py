"""Human explanations, in French, of why a territory is close to another. Every figure or label cited
comes from the same facts the score used (tests parse them back and compare with the database)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexing.territory_index import TerritoryFacts
from service.territories.codes import departement_key, region_key
from service.territories.features import EPCI_FORM_LABELS, RURAL_LABELS
from service.territories.models import Territory
from service.territories.score import Closeness
from service.territory_insights.activity import TerritoryCases

KIND_NOUNS = {
    "commune": "commune",
    "epci": "intercommunalité",
    "ept": "établissement public territorial",
    "departement": "département",
    "region": "région",
    "syndicat_mixte": "syndicat mixte",
    "other": "territoire",
}
COMPARABLE_RATIO = 1.5
NBSP = "\u202f"  # narrow no-break space, the French thousands separator
MAX_THEMES = 3
THEME_CITED = 0.5  # thematic closeness from which « expériences proches » is said


def fmt_int(n: int) -> str:
    return f"{n:,}".replace(",", NBSP)


def fmt_decimal(x: float) -> str:
    return f"{x:.2f}".replace(".", ",")


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def noun(facts: TerritoryFacts) -> str:
    if facts.kind == "epci" and facts.epci_form in EPCI_FORM_LABELS:
        return EPCI_FORM_LABELS[facts.epci_form]
    return KIND_NOUNS.get(facts.kind, "territoire")


def size_part(viewer: TerritoryFacts, peer: TerritoryFacts) -> str:
    """« commune de taille comparable (12 040 vs 10 557 hab.) »: the peer's population first."""
    what = noun(peer)
    if not viewer.population or not peer.population:
        return f"{what} (population inconnue)"
    figures = f"({fmt_int(peer.population)} vs {fmt_int(viewer.population)} hab.)"
    ratio = max(peer.population, viewer.population) / min(peer.population, viewer.population)
    if ratio <= COMPARABLE_RATIO:
        size = "de taille comparable"
    elif ratio <= 10:
        size = "plus peuplée" if peer.population > viewer.population else "moins peuplée"
        size = f"un peu {size}" if ratio <= 3 else size
    else:
        size = "de taille très différente"
    return f"{what} {size} {figures}"


def form_part(viewer: TerritoryFacts, peer: TerritoryFacts) -> str | None:
    if not viewer.epci_form or not peer.epci_form:
        return None
    if viewer.kind == "epci" and peer.kind == "epci":
        if viewer.epci_form == peer.epci_form:
            return f"même forme juridique ({peer.epci_form})"
        return f"autre forme juridique ({peer.epci_form} vs {viewer.epci_form})"
    if viewer.epci_form == peer.epci_form:
        return f"même type d'intercommunalité ({peer.epci_form})"
    return f"autre type d'intercommunalité ({peer.epci_form} vs {viewer.epci_form})"


def rural_part(viewer: TerritoryFacts, peer: TerritoryFacts) -> str | None:
    if not viewer.rural_class or not peer.rural_class:
        return None
    if viewer.rural_class == peer.rural_class:
        return f"même profil {RURAL_LABELS[peer.rural_class]}"
    return f"profil {RURAL_LABELS[peer.rural_class]} (vs {RURAL_LABELS[viewer.rural_class]})"


def geo_part(
    viewer: TerritoryFacts, peer: TerritoryFacts, closeness: Closeness, places: Mapping[str, str]
) -> str | None:
    level = closeness.geo_level
    if level == "epci":
        if viewer.epci and viewer.epci == peer.epci:
            return f"même intercommunalité ({peer.epci_name or peer.epci})"
        if peer.code == viewer.epci:
            return "votre intercommunalité"
        return "commune membre de votre intercommunalité"
    if level == "departement" and peer.departement:
        name = places.get(departement_key(peer.departement), peer.departement)
        return f"même département ({name}, {peer.departement})"
    if level == "region" and peer.region:
        return f"même région ({places.get(region_key(peer.region), peer.region)})"
    return None


def activity_part(activity: TerritoryCases | None, closeness: Closeness) -> list[str]:
    if activity is None or not activity.cases:
        return []
    parts = []
    themes = activity.theme_labels
    if themes:
        parts.append("a aussi travaillé sur : " + ", ".join(_lower_first(t) for t in themes[:MAX_THEMES]))
    else:
        n = len(activity.cases)
        title = activity.cases[0].title
        plural = "s" if n > 1 else ""
        parts.append(f"a publié {n} expérience{plural} sur Retex, dont « {title} »")
    if closeness.theme is not None and closeness.theme >= THEME_CITED:
        parts.append(f"expériences proches des vôtres (similarité {fmt_decimal(closeness.theme)})")
    return parts


def explain(
    viewer: TerritoryFacts,
    peer: TerritoryFacts,
    closeness: Closeness,
    *,
    activity: TerritoryCases | None,
    places: Mapping[str, str],
) -> str:
    parts: Sequence[str | None] = [
        size_part(viewer, peer),
        form_part(viewer, peer),
        rural_part(viewer, peer),
        geo_part(viewer, peer, closeness, places),
        *activity_part(activity, closeness),
    ]
    return ", ".join(p for p in parts if p)


def place_names(session: Session, facts: Collection[TerritoryFacts]) -> dict[str, str]:
    """Names of the départements and régions cited (keys: dep-XX / reg-XX)."""
    codes = {departement_key(f.departement) for f in facts if f.departement}
    codes |= {region_key(f.region) for f in facts if f.region}
    if not codes:
        return {}
    rows = session.execute(select(Territory.code, Territory.name).where(Territory.code.in_(codes)))
    return {code: name for code, name in rows}
