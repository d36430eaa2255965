"""Where an imported case comes from: the source's name, its snapshot date and its home page, read from the
case's external key ("anct:41", "betagouv:deveco"). Licence, attribution and link are the case's own columns;
this adds the name and date every page, API answer and export shows beside them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Source:
    key: str
    name: str
    snapshot: date  # date of the copy shipped in seeds/data/<source>/
    home: str


SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        Source(
            "betagouv",
            "beta.gouv.fr (fiches des produits)",
            date(2026, 8, 20),
            "https://beta.gouv.fr/startups/",
        ),
        Source(
            "anct",
            "Incubateur des Territoires (ANCT), investigations",
            date(2022, 3, 14),
            "https://github.com/incubateur-territoires/incubateur.anct.gouv.fr",
        ),
        Source(
            "bal",
            "Base Adresse Nationale, témoignages de la charte Base Adresse Locale",
            date(2022, 3, 7),
            "https://adresse.data.gouv.fr/",
        ),
        Source(
            "bal-charte",
            "Base Adresse Nationale, partenaires de la charte Base Adresse Locale",
            date(2023, 8, 11),
            "https://adresse.data.gouv.fr/",
        ),
        Source(
            "forges",
            "Etalab, comptes de code source du secteur public (data-codes-sources-fr)",
            date(2021, 11, 15),
            "https://github.com/etalab/data-codes-sources-fr",
        ),
        Source(
            "sill",
            "SILL, services publics fondés sur des logiciels libres",
            date(2022, 3, 8),
            "https://github.com/codegouvfr/sill-api",
        ),
        Source("retex-demo", "Retex (fiches de démonstration)", date(2026, 11, 1), "https://retex.example/"),
    )
}


def source_for_key(external_key: str | None) -> Source | None:
    """The source of an imported case from its external key (None for a case written on Retex)."""
    if not external_key:
        return None
    return SOURCES.get(external_key.split(":", 1)[0])


def source_of(case: object) -> Source | None:
    return source_for_key(getattr(case, "external_key", None))
