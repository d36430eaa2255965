"""Theme suggestions from a text, for cases whose author (or source) gave none: a documented lexicon of
word stems per theme, matched on the folded text (lower-case, no accents). A theme is suggested when at
least MIN_HITS distinct stems of its lexicon occur; at most MAX_THEMES, best first. Precision is measured
on labelled samples by bench/theme_precision.py. Suggestions are "suggéré" until an author confirms."""

from __future__ import annotations

import re
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.textkeys import fold
from service.themes.models import Theme

MIN_HITS = 2
MAX_THEMES = 2

# theme slug -> stems (folded; a stem matches at the start of a word, "commer" -> "commerce", "commerçants").
LEXICON: dict[str, tuple[str, ...]] = {
    "achats-mutualisation": (
        "marche public",
        "marches publics",
        "achat",
        "groupement de commande",
        "mutualis",
        "centrale d achat",
        "commande publique",
    ),
    "services-en-ligne": (
        "demarche",
        "dematerialis",
        "formulaire",
        "en ligne",
        "portail",
        "guichet",
        "prise de rendez",
        "teleservice",
        "usager",
        "e administration",
        "accueil du public",
    ),
    "open-data": (
        "open data",
        "donnees ouvertes",
        "jeu de donnees",
        "jeux de donnees",
        "opendata",
        "ouverture des donnees",
        "base adresse",
        "adresse",
        "referentiel",
        "api",
    ),
    "souverainete-hebergement": (
        "hebergement",
        "cloud",
        "rgpd",
        "datacenter",
        "centre de donnees",
        "souverain",
        "sobriete numerique",
    ),
    "logiciels-libres": (
        "logiciel libre",
        "logiciels libres",
        "open source",
        "code source",
        "commun numerique",
        "communs numeriques",
        "licence libre",
    ),
    "outils-internes": (
        "outil interne",
        "agents",
        "gmao",
        "outil metier",
        "logiciel metier",
        "tableau de bord",
        "intranet",
        "travail collaboratif",
        "gestion de projet",
        "organisation interne",
    ),
    "cybersecurite": (
        "cybersecur",
        "securite informatique",
        "rancongiciel",
        "anssi",
        "cyberattaque",
        "piratage",
    ),
    "intelligence-artificielle": (
        "intelligence artificielle",
        "machine learning",
        "apprentissage automatique",
        "algorithme",
        "ia generative",
        "chatbot",
    ),
    "data-visualisation": (
        "tableau de bord",
        "capteur",
        "visualis",
        "dataviz",
        "cartograph",
        "temps reel",
        "indicateur",
    ),
    "environnement": (
        "environnement",
        "climat",
        "biodiversite",
        "energie",
        "dechet",
        "ecolog",
        "transition ecolog",
        "pollution",
        "recyclage",
        "tri ",
        "eau ",
        "gaspillage",
        "compost",
        "encombrant",
    ),
    "sante-environnement": (
        "sante",
        "medecin",
        "soins",
        "telemedecine",
        "hopital",
        "qualite de l air",
        "pollen",
        "sanitaire",
        "maison de sante",
    ),
    "commerce-centre-ville": (
        "commerc",
        "centre ville",
        "coeur de ville",
        "boutique",
        "vitrine",
        "local vacant",
        "locaux vacants",
        "marche de producteur",
        "fidelite",
    ),
    "developpement-economique": (
        "entreprise",
        "economi",
        "emploi local",
        "filiere",
        "implantation",
        "tissu econ",
        "zone d activite",
        "artisan",
        "creation d entreprise",
    ),
    "amenagement-territoires": (
        "amenagement",
        "urbanisme",
        "ruralite",
        "rural",
        "cohesion des territoires",
        "revitalisation",
        "foncier",
        "permis de construire",
        "urbain",
    ),
    "fonctionnement-collectivites": (
        "collectivite",
        "elus",
        "conseil municipal",
        "conseils municipaux",
        "administration",
        "agents",
        "services techniques",
        "mairie",
        "organisation interne",
        "methodes de travail",
        "secretaire de mairie",
    ),
    "participation-citoyenne": (
        "participati",
        "citoyen",
        "democratie",
        "concertation",
        "consultation",
        "conseil de quartier",
        "conseils de quartier",
        "budget participatif",
        "habitants",
    ),
    "inclusion-numerique": (
        "inclusion numerique",
        "illectronisme",
        "mediation numerique",
        "mediateur numerique",
        "conseiller numerique",
        "conseillers numeriques",
        "fracture numerique",
        "tiers lieu",
        "tiers lieux",
        "france services",
        "msap",
        "maison de services",
    ),
    "solidarites": (
        "social",
        "sociale",
        "solidari",
        "ccas",
        "cias",
        "handicap",
        "precarite",
        "aide alimentaire",
        "personnes agees",
        "isolement",
        "rsa",
        "aide sociale",
        "autonomie",
        "beneficiaire",
        "protection de l enfance",
        "enfance",
    ),
    "emploi-formation": (
        "emploi",
        "insertion",
        "formation",
        "apprentissage",
        "stage",
        "chomage",
        "demandeur d emploi",
        "recrutement",
        "metier",
    ),
    "education-jeunesse": (
        "ecole",
        "college",
        "lycee",
        "eleve",
        "jeune",
        "jeunesse",
        "scolaire",
        "enfant",
        "creche",
        "periscolaire",
        "centre de loisirs",
        "parents",
        "etudiant",
    ),
    "logement": (
        "logement",
        "habitat",
        "bailleur",
        "locataire",
        "renovation",
        "insalubr",
        "hebergement social",
    ),
    "mobilite": (
        "mobilite",
        "transport",
        "covoiturage",
        "autopartage",
        "auto partage",
        "voiture",
        "velo",
        "stationnement",
        "deplacement",
        "bus ",
        "route",
    ),
    "agriculture-alimentation": (
        "agricult",
        "alimenta",
        "cantine",
        "restauration collective",
        "repas",
        "producteurs locaux",
        "maraich",
        "circuit court",
        "agriculteur",
    ),
    "mer-littoral": ("littoral", "mer ", "peche", "marin", "cotier", "plage"),
    "culture-patrimoine": (
        "cultur",
        "patrimoine",
        "musee",
        "bibliotheque",
        "mediatheque",
        "cinema",
        "archives",
        "spectacle",
        "festival",
        "micro folie",
    ),
    "justice-droit": (
        "justice",
        "juridique",
        "tribunal",
        "acces au droit",
        "mediateur",
        "mediature",
        "reclamation",
        "contentieux",
    ),
    "securite-publique": (
        "securite publique",
        "police",
        "gendarmerie",
        "prevention de la delinquance",
        "risque",
        "secours",
        "inondation",
        "crise",
        "alerte",
        "videoprotection",
    ),
    "sport": ("sport", "equipements sportifs", "club", "stade", "gymnase", "piscine"),
    "sciences-recherche": ("recherche scientifique", "chercheur", "laboratoire", "science"),
}


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    return {
        slug: re.compile(r"\b(" + "|".join(re.escape(s.strip()) for s in stems) + r")")
        for slug, stems in LEXICON.items()
    }


def theme_scores(text: str) -> dict[str, int]:
    """theme slug -> number of distinct stems of its lexicon found in `text` (pure)."""
    folded = " " + fold(text) + " "
    scores: dict[str, int] = {}
    for slug, pattern in _patterns().items():
        hits = {m.group(1) for m in pattern.finditer(folded)}
        if hits:
            scores[slug] = len(hits)
    return scores


def suggested_slugs(text: str) -> list[str]:
    scores = theme_scores(text)
    ranked = sorted((s for s in scores.items() if s[1] >= MIN_HITS), key=lambda s: (-s[1], s[0]))
    return [slug for slug, _ in ranked[:MAX_THEMES]]


def suggest_themes(session: Session, text: str) -> list[int]:
    """Ids of the themes suggested for `text` (only themes that exist in the database)."""
    slugs = suggested_slugs(text)
    if not slugs:
        return []
    ids = {
        slug: id_ for slug, id_ in session.execute(select(Theme.slug, Theme.id).where(Theme.slug.in_(slugs)))
    }
    return [ids[s] for s in slugs if s in ids]
