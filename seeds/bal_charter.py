"""Experiences from the partners of the Base Adresse Locale charter (bal-partners, 2023-08-11, MIT):
  - each pooling body's offer (seeds/pooling.py made it a PoolingOffer with its perimeter) is a real digital
    project run by a syndicat mixte, an agence technique, an EPCI or a département for its communes: a short
    experience of that body, tied to its perimeter (its EPCI, or its départements; the région when they are
    NUMBER_FOR_REGION départements or more of one région);
  - each signatory commune that has no testimony yet: it signed the charter and built its local address base.
Every sentence comes from the source's fields (`infos`, `perimeter`, `services`, dates, links). A body or a
commune a BAL testimony already tells (same organisation, or same territories) gets no second experience."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.anct import existing_cases
from seeds.cases import SeedCase, upsert_case
from seeds.organisations import upsert_organisation
from seeds.paths import BAL_PARTNERS_DIR
from seeds.report import StepReport
from seeds.text import TITLE_MAX, clean_text
from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.organisations.models import OrganisationKind
from service.pooling.models import PoolingOffer
from service.territories.articles import of_name
from service.territories.models import Territory, TerritoryKind
from service.textkeys import slugify
from service.themes.models import Theme

LICENCE = "mit"
ATTRIBUTION = "Base Adresse Nationale — Etalab / ANCT"
SOURCE_URL = (
    "https://github.com/BaseAdresseNationale/adresse.data.gouv.fr/blob/"
    "a24de351af8164f37034aba8bc25fe1315a385c3/data/partners/{file}"
)
NUMBER_FOR_REGION = 4  # Mégalis (4 of Bretagne), GÉOPAL, CRAIG…: a regional body, not a list of départements
OFFER_THEMES = ("achats-mutualisation", "open-data")
COMMUNE_THEMES = ("open-data",)  # as the BAL testimonies
NOTE = "Fiche établie à partir de la liste des partenaires de la charte de la Base Adresse Locale ({d})."


def _load(name: str) -> list[dict[str, Any]]:
    with (BAL_PARTNERS_DIR / name).open(encoding="utf-8") as f:
        data: list[dict[str, Any]] = json.load(f)
    return data


def _one_line(text: str) -> str:
    return " ".join(clean_text(text or "").split())


def _fr_date(iso: str) -> str:
    return f"{date.fromisoformat(iso):%d/%m/%Y}"


def _territories_of(session: Session, offer: PoolingOffer, raw: dict[str, Any]) -> list[Territory]:
    """The offer's perimeter; a body without one (« Pays de Brest », « Pôle Marennes Oléron ») is tied to
    the départements the source gives; four départements or more of one région are that région."""
    places = list(offer.territories)
    if not places:
        codes = raw.get("codeDepartement") or []
        places = list(
            session.scalars(
                select(Territory).where(
                    Territory.kind == TerritoryKind.departement, Territory.departement_code.in_(codes)
                )
            )
        )
    regions = {t.region_code for t in places if t.kind is TerritoryKind.departement}
    if (
        len(places) >= NUMBER_FOR_REGION
        and len(regions) == 1
        and all(t.kind is TerritoryKind.departement for t in places)
    ):
        region = session.scalar(
            select(Territory).where(
                Territory.kind == TerritoryKind.region, Territory.code == f"reg-{regions.pop()}"
            )
        )
        if region is not None:
            return [region]
    return sorted(places, key=lambda t: t.code)


def _told(existing: dict[str, CaseStudy], organisation_id: int, territories: Sequence[Territory]) -> bool:
    """Whether a BAL testimony already tells this body's or commune's story."""
    # Same territories only for a commune or an EPCI: they speak for themselves, whereas a département or
    # a région hosts several bodies (GéoBretagne is not Mégalis Bretagne).
    ids = {t.id for t in territories if t.kind in (TerritoryKind.commune, TerritoryKind.epci)}
    for key, case in existing.items():
        if not key.startswith("bal:"):
            continue
        if case.organisation_id == organisation_id or (ids and {t.id for t in case.territories} == ids):
            return True
    return False


def offer_values(raw: dict[str, Any]) -> dict[str, Any]:
    name = _one_line(raw["name"])
    services = [_one_line(s).replace("’", "'") for s in raw.get("services") or []]
    context = "Partenaire de la charte de la Base Adresse Locale en tant qu'organisme de mutualisation."
    if raw.get("perimeter"):
        context += f" Périmètre : {_one_line(raw['perimeter']).rstrip('.')}."
    if raw.get("signatureDate"):
        context += f" Charte signée le {_fr_date(raw['signatureDate'])}."
    title = f"{name} : Base Adresse Locale, offre aux communes"
    if len(title) > TITLE_MAX:  # the longest names (« Réseau Régional des Données Territoriales… »)
        title = f"{name} : Base Adresse Locale"
    resources = []
    if raw.get("link"):
        resources.append(f"[Présentation de l'offre]({raw['link']})")
    if raw.get("charteURL"):
        resources.append(f"[Charte signée]({raw['charteURL']})")
    return {
        "title": title,
        "summary": _one_line(raw.get("infos") or raw.get("info") or ""),
        "context": context,
        "solution": ("Services proposés : " + " ; ".join(dict.fromkeys(services)) + ".") if services else "",
        "results": "",
        "resources": "\n\n".join(resources),
        "transferability": "",
        "status": ProjectStatus.deployed,
        "started_on": None,
        "ended_on": None,
        "publication_state": PublicationState.published,
        "licence": LICENCE,
        "attribution": ATTRIBUTION,
        "source_url": SOURCE_URL.format(file="epci.json"),
        "note": NOTE.format(d="liste du 11/08/2023"),
    }


def commune_values(raw: dict[str, Any], commune: Territory) -> dict[str, Any]:
    summary = (
        f"La commune {of_name(commune.name)} a signé la charte de la Base Adresse Locale le "
        f"{_fr_date(raw['signatureDate'])}"
    )
    if "partage d'expérience" in (raw.get("services") or []):
        summary += " et propose de partager son expérience"
    summary += "."
    resources = []
    if raw.get("balURL"):
        summary += " Sa Base Adresse Locale est publiée sur adresse.data.gouv.fr."
        resources.append(f"[Base Adresse Locale de la commune]({raw['balURL']})")
    if raw.get("charteURL"):
        resources.append(f"[Charte signée]({raw['charteURL']})")
    if raw.get("link"):
        resources.append(f"[Site de la commune]({raw['link']})")
    return {
        "title": f"Base Adresse Locale : {commune.name}",
        "summary": summary,
        "context": "",
        "solution": "",
        "results": "",
        "resources": "\n\n".join(resources),
        "transferability": "",
        "status": ProjectStatus.deployed if raw.get("balURL") else ProjectStatus.pilot,
        "started_on": None,
        "ended_on": None,
        "publication_state": PublicationState.published,
        "licence": LICENCE,
        "attribution": ATTRIBUTION,
        "source_url": SOURCE_URL.format(file="communes.json"),
        "note": NOTE.format(d="communes signataires, liste du 11/08/2023"),
    }


def seed_bal_charter(session: Session) -> StepReport:
    report = StepReport("cases (charte BAL)")
    existing = existing_cases(session, ("bal", "bal-charte"))
    themes = {t.slug: t for t in session.scalars(select(Theme))}
    offers = {o.source_key: o for o in session.scalars(select(PoolingOffer))}
    for raw in _load("pooling-organisations.json"):
        key = slugify(" ".join(raw["name"].split()), max_length=140)
        offer = offers.get(key)
        if offer is None:  # seeds/pooling.py did not run
            continue
        territories = _territories_of(session, offer, raw)
        if _told(existing, offer.organisation_id, territories):
            continue
        upsert_case(
            session,
            existing,
            SeedCase(
                external_key=f"bal-charte:offre:{key}",
                values=offer_values(raw),
                preferred_slug=f"base-adresse-locale-{key}",
                themes=[themes[s] for s in OFFER_THEMES if s in themes],
                territories=territories,
                organisation=offer.organisation,
                links=[("Offre de l'organisme", raw["link"])] if raw.get("link") else [],
            ),
            report,
        )
    communes = _load("communes.json")
    by_code = {
        t.code: t
        for t in session.scalars(
            select(Territory).where(Territory.code.in_([c["codeCommune"] for c in communes]))
        )
    }
    for raw in communes:
        commune = by_code.get(raw["codeCommune"])
        if commune is None:
            continue
        organisation = upsert_organisation(
            session,
            name="Commune " + of_name(commune.name),
            kind=OrganisationKind.collectivite,
            territory=commune,
        )
        if _told(existing, organisation.id, [commune]):
            continue
        links = [("Base Adresse Locale", raw["balURL"])] if raw.get("balURL") else []
        upsert_case(
            session,
            existing,
            SeedCase(
                external_key=f"bal-charte:commune:{commune.code}",
                values=commune_values(raw, commune),
                preferred_slug=f"base-adresse-locale-{slugify(commune.name)}",
                themes=[themes[s] for s in COMMUNE_THEMES if s in themes],
                territories=[commune],
                organisation=organisation,
                links=links,
            ),
            report,
        )
    return report
