"""Pooling bodies of the Base Adresse Locale charter (bal-partners) and their offers, with their perimeter.

Each of the 71 bodies becomes an organisation (a public body) with one offer: its services, its
description and the territories whose communes it serves:
  - an intercommunality (échelon 1, or a name/perimeter that says « agglomération », « communauté »,
    « métropole »): the EPCI of the official list whose name shares the most words with it (accent-free,
    legal-form words left out), at least MIN_SCORE, a département of the body's list ranked first;
  - otherwise its départements (`codeDepartement`).
« Pays … » and « Pôle … » group several intercommunalities: no single EPCI is their perimeter, so they get
none (they stay listed as organisations, out of the mutualisation finder)."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.organisations import upsert_organisation
from seeds.paths import BAL_PARTNERS_DIR
from seeds.report import StepReport
from service.organisations.models import OrganisationKind
from service.pooling.models import PoolingOffer
from service.territories.models import Territory, TerritoryKind
from service.textkeys import fold, slugify

SOURCE_NAME = "Base Adresse Nationale — partenaires de la charte de la Base Adresse Locale"
LICENCE = "MIT (© 2014-2020 Etalab) ; Licence Ouverte 2.0 selon le dépôt actuel"
ATTRIBUTION = "Base Adresse Nationale — Etalab / ANCT"
SOURCE_DATE = "2023-08-11"
SOURCE_URL = (
    "https://github.com/BaseAdresseNationale/adresse.data.gouv.fr/blob/"
    "a24de351af8164f37034aba8bc25fe1315a385c3/data/partners/epci.json"
)
MIN_SCORE = 0.25
_INTERCOMMUNAL = re.compile(r"agglomeration|communaute|metropole")
_GROUPINGS = re.compile(r"^(pays|pole) ")
_STOP = frozenset(
    [
        "communaute",
        "d",
        "agglomeration",
        "de",
        "communes",
        "urbaine",
        "agglo",
        "metropole",
        "ca",
        "cc",
        "cu",
        "du",
        "des",
        "la",
        "le",
        "l",
        "et",
        "les",
        "en",
        "sur",
        "membres",
        "pays",
    ]
)


def _tokens(text: str) -> set[str]:
    return {t for t in fold(text).split() if t not in _STOP and len(t) > 1}


def _best_epci(raw: dict[str, Any], epcis: list[tuple[Territory, set[str]]]) -> Territory | None:
    deps = set(raw.get("codeDepartement") or [])
    best: tuple[float, Territory] | None = None
    for text in (raw["name"], raw.get("perimeter") or ""):
        mine = _tokens(text)
        if not mine:
            continue
        for epci, theirs in epcis:
            score = len(mine & theirs) / len(mine | theirs) - (0 if epci.departement_code in deps else 0.5)
            if best is None or score > best[0]:
                best = (score, epci)
    return best[1] if best is not None and best[0] >= MIN_SCORE else None


def _perimeter(
    raw: dict[str, Any], epcis: list[tuple[Territory, set[str]]], deps: dict[str, Territory]
) -> list[Territory]:
    name = fold(raw["name"])
    if _GROUPINGS.match(name):
        return []
    text = f"{name} {fold(raw.get('perimeter') or '')}"
    if raw.get("echelon") == 1 or _INTERCOMMUNAL.search(text):
        epci = _best_epci(raw, epcis)
        if epci is not None:
            return [epci]
        if raw.get("echelon") == 1:
            return []
    return [deps[c] for c in raw.get("codeDepartement") or [] if c in deps]


def seed_pooling(session: Session) -> StepReport:
    report = StepReport("pooling offers (BAL)")
    with (BAL_PARTNERS_DIR / "pooling-organisations.json").open(encoding="utf-8") as f:
        records: list[dict[str, Any]] = json.load(f)
    epcis = [
        (t, tokens)
        for t in session.scalars(select(Territory).where(Territory.kind == TerritoryKind.epci))
        if (tokens := _tokens(t.name))
    ]
    deps = {
        t.departement_code or "": t
        for t in session.scalars(select(Territory).where(Territory.kind == TerritoryKind.departement))
    }
    existing = {o.source_key: o for o in session.scalars(select(PoolingOffer))}
    for raw in records:
        name = " ".join(raw["name"].split())
        perimeter = _perimeter(raw, epcis, deps)
        own = perimeter[0] if len(perimeter) == 1 else None
        org = upsert_organisation(
            session,
            name=name,
            kind=OrganisationKind.collectivite,
            website=raw.get("link") or None,
            # An intercommunality is its own perimeter; so is a département named as such.
            territory=own
            if own is not None and (own.kind is TerritoryKind.epci or fold(name).startswith("departement"))
            else None,
        )
        values: dict[str, Any] = {
            "organisation_id": org.id,
            "level": int(raw.get("echelon") or 0),
            "perimeter_label": " ".join((raw.get("perimeter") or "").split())[:300],
            "description": " ".join((raw.get("infos") or raw.get("info") or "").split()),
            "services": "; ".join(raw.get("services") or [])[:500],
            "link": raw.get("link") or None,
            "source_name": SOURCE_NAME,
            "source_licence": LICENCE,
            "source_attribution": ATTRIBUTION,
            "source_date": SOURCE_DATE,
            "source_url": SOURCE_URL,
        }
        key = slugify(name, max_length=140)
        offer = existing.get(key)
        if offer is None:
            offer = PoolingOffer(source_key=key, **values)
            offer.territories = perimeter
            session.add(offer)
            existing[key] = offer
            report.inserted += 1
        elif any(getattr(offer, k) != v for k, v in values.items()) or [t.id for t in offer.territories] != [
            t.id for t in sorted(perimeter, key=lambda t: t.code)
        ]:
            for k, v in values.items():
                setattr(offer, k, v)
            offer.territories = perimeter
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    return report
