"""The 20 dated testimonies of the Base Adresse Locale charter (Base Adresse Nationale — Etalab / ANCT, MIT
licence): how a commune, an intercommunality or a pooling body built its local address base. Each is a one-
or two-sentence preview of an article that is not included, so they are short experiences ("fiche courte")
with a link to the full article, tied to the territory they are about. People named in the previews are
left out (their sentence keeps its role: "le maire", "le géomaticien")."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from seeds.anct import existing_cases, organisation_name
from seeds.cases import SeedCase, upsert_case
from seeds.organisations import upsert_organisation
from seeds.paths import BAL_PARTNERS_DIR
from seeds.report import StepReport
from seeds.text import clean_text
from service.casestudies.models import ProjectStatus, PublicationState
from service.organisations.models import OrganisationKind
from service.territories.linker import Place, choose_place, load_gazetteer, normalise_key
from service.territories.models import Territory, TerritoryKind
from service.textkeys import fold, slugify
from service.themes.models import Theme

LICENCE = "mit"
ATTRIBUTION = "Base Adresse Nationale — Etalab / ANCT"
SOURCE_URL = (
    "https://github.com/BaseAdresseNationale/adresse.data.gouv.fr/blob/"
    "35682aeaa575e7887dc9f6e700e90b37f2db4635/data/partners/temoignages.json"
)
C, E, D, R = TerritoryKind.commune, TerritoryKind.epci, TerritoryKind.departement, TerritoryKind.region
# Which territory each testimony is about (read from its title and preview), and the pooling body that
# speaks when it is one (named as in pooling-organisations.json, so it is the same organisation).
PLACES: dict[str, tuple[list[tuple[str, TerritoryKind, str | None]], str | None]] = {
    "Le Pays compiégnois": ([("CA de la Région de Compiègne et de la Basse Automne", E, "60")], None),
    "Planès": ([("Planès", C, "66")], None),
    "La Communauté d’Agglomération du Pays Basque": ([("CA du Pays Basque", E, "64")], None),
    "Theizé-en-Beaujolais": ([("Theizé", C, "69")], None),
    "Communes des Hautes-Alpes": ([("Hautes-Alpes", D, None)], None),
    "Breux-sur-Avre": ([("Breux-sur-Avre", C, "27")], None),
    "Bréau-Mars": ([("Bréau-Mars", C, "30")], None),
    "Speluncatu (Speloncato)": ([("Speloncato", C, "2B")], None),
    "Égliseneuve-des-Liards": ([("Égliseneuve-des-Liards", C, "63")], None),
    "Mégalis Bretagne": ([("Bretagne", R, None)], "MEGALIS Bretagne"),
    "Somme Numérique et AMF80": ([("Somme", D, None)], "Somme Numérique"),
    "Les adresses dans le Gers": ([("Traversères", C, "32"), ("Gers", D, None)], None),
    "Azay-sur-Cher": ([("Azay-sur-Cher", C, "37")], None),
    "Terres de Provence": ([("CA Terre de Provence", E, "13")], None),
    "La mission régionale IDéO BFC": ([("Bourgogne-Franche-Comté", R, None)], "IDéO BFC"),
    "L’Association des Maires du Morbihan": ([("Morbihan", D, None)], None),
    "Service d’information géographique du SDIS64": ([("Pyrénées-Atlantiques", D, None)], None),
    "La commune d'Entre-Deux": ([("Entre-Deux", C, "974")], None),
    "Rennes métropole : plan de ville et animation sur les adresses": ([("Rennes Métropole", E, "35")], None),
    "Rougon": ([("Rougon", C, "04")], None),
}
# "Témoignage de Mael Reboux et Gaétan Danet sur …", "Olivier Barasz détaille …": people, left out.
_PEOPLE = re.compile(
    r"(?:,\s*)?\b(?:[A-ZÉ][a-zéèëï]+(?:-[A-ZÉ][a-zéèëï]+)?\s+(?:de\s+)?[A-ZÉ][a-zéèëï]+(?:\s+et\s+)?){1,2}"
    r"(?=\s*(?:,|détaille|explique|sur des|sur ce))"
)
_ROLE_FIRST = re.compile(r"^(Maire de la commune[^,]*),[^.]*?,\s*")


def load_testimonies() -> list[dict[str, Any]]:
    with (BAL_PARTNERS_DIR / "testimonies.json").open(encoding="utf-8") as f:
        data: list[dict[str, Any]] = json.load(f)
    return data


def without_people(text: str) -> str:
    """'Témoignage de Mael Reboux et Gaétan Danet sur des résultats' -> 'Témoignage sur des résultats'."""
    text = re.sub(
        r"Témoignage d(?:e |')(?:[A-ZÉ][\w-]+ ){1,2}(?:et (?:[A-ZÉ][\w-]+ ?){1,2})?", "Témoignage ", text
    )
    text = _PEOPLE.sub(
        lambda m: " l'interlocuteur" if m.group(0).startswith(",") else "L'interlocuteur", text
    )
    return re.sub(r"\s{2,}", " ", text).strip()


def _places(session: Session, wanted: list[tuple[str, TerritoryKind, str | None]]) -> list[Place]:
    gazetteer = load_gazetteer(session, [normalise_key(n) for n, _, _ in wanted])
    found = []
    for name, kind, dep in wanted:
        choice = choose_place(
            gazetteer.get(normalise_key(name), []),
            kind,
            {dep} if dep else set(),
            dominance=5,
            min_population=2_000,
        )
        if choice is not None and choice[0].kind == kind:
            found.append(choice[0])
    return found


def seed_bal_testimonies(session: Session, on_progress: Callable[[int], None] | None = None) -> StepReport:
    report = StepReport("cases (BAL témoignages)")
    existing = existing_cases(session, ("bal",))
    themes = {t.slug: t for t in session.query(Theme).filter(Theme.slug == "open-data")}
    for raw in load_testimonies():
        wanted, body_name = PLACES.get(raw["title"], ([], None))
        places = _places(session, wanted)
        name = clean_text(raw["title"]).strip()
        preview = without_people(clean_text(raw["preview"]).strip())
        organisation = None
        if body_name:
            organisation = upsert_organisation(session, name=body_name, kind=OrganisationKind.collectivite)
        elif places:
            lead = places[0]
            organisation = upsert_organisation(
                session,
                name=organisation_name(lead),
                kind=OrganisationKind.collectivite,
                territory=session.get_one(Territory, lead.id),
            )
        title = f"Base Adresse Locale : {name.split(' : ')[0]}"
        published = date.fromisoformat(raw["date"])
        values = {
            "title": title[:120],
            "summary": preview,
            "context": "",
            "solution": "",
            "results": "",
            "resources": f"[Lire le témoignage complet]({raw['articleUrl']})",
            "transferability": "",
            "status": ProjectStatus.deployed,
            "started_on": None,
            "ended_on": None,
            "publication_state": PublicationState.published,
            "licence": LICENCE,
            "attribution": ATTRIBUTION,
            "source_url": SOURCE_URL,
            "note": f"Témoignage publié le {published:%d/%m/%Y} (aperçu ; l'article complet est en lien).",
        }
        upsert_case(
            session,
            existing,
            SeedCase(
                external_key=f"bal:{slugify(fold(name))}",
                values=values,
                preferred_slug=f"base-adresse-locale-{slugify(name)}",
                themes=list(themes.values()),
                territories=[session.get_one(Territory, p.id) for p in places],
                organisation=organisation,
                links=[("Témoignage complet", raw["articleUrl"])],
            ),
            report,
        )
        if on_progress:
            on_progress(1)
    return report
