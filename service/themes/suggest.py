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
MIN_REPEATS = 2

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
        "guichet",
        "prise de rendez",
        "teleservice",
        "e administration",
        "aides publiques",
        "aides regionales",
        "aide regionale",
        "bon interlocuteur",
        "services administratifs",
        "reserver",
        "reservation",
        "en ligne",
    ),
    "open-data": (
        "open data",
        "donnees ouvertes",
        "jeu de donnees",
        "jeux de donnees",
        "opendata",
        "ouverture des donnees",
        "base adresse",
        "donnees geographiques",
        "referentiels",
        "apis",
        "ouvrir les donnees",
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
        "gmao",
        "outil metier",
        "logiciel metier",
        "intranet",
        "travail collaboratif",
        "gestion de projet",
        "organisation interne",
        "gmao",
        "agents publics",
        "services techniques",
        "espace collaboratif",
        "technicien",
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
        "dataviz",
        "cartograph",
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
        "emploi local",
        "filiere",
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
        "elus",
        "conseil municipal",
        "conseils municipaux",
        "services techniques",
        "mairie",
        "organisation interne",
        "methodes de travail",
        "secretaire de mairie",
        "subvention",
        "services techniques",
        "coordination",
    ),
    "participation-citoyenne": (
        "participati",
        "democratie",
        "concertation",
        "conseil de quartier",
        "conseils de quartier",
        "budget participatif",
        "consultation citoyenne",
        "entraide entre habitants",
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
        "rsa",
        "aide sociale",
        "protection de l enfance",
        "entraide",
        "enfant place",
        "enfants places",
    ),
    "emploi-formation": (
        "emploi",
        "insertion",
        "apprentissage",
        "chomage",
        "demandeur d emploi",
        "recrutement",
    ),
    "education-jeunesse": (
        "ecole",
        "college",
        "lycee",
        "eleve",
        "jeunesse",
        "scolaire",
        "creche",
        "periscolaire",
        "centre de loisirs",
        "etudiant",
        "eple",
        "enseignant",
        "bourse de college",
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
        "bus ",
        "permis de conduire",
        "vehicule",
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
    "mer-littoral": ("littoral", "mer ", "peche", "cotier", "plage"),
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
        "mediature",
        "contentieux",
        "detention",
        "textes normatifs",
        "loi ",
    ),
    "securite-publique": (
        "securite publique",
        "police",
        "gendarmerie",
        "prevention de la delinquance",
        "inondation",
        "videoprotection",
        "risques majeurs",
        "montagne",
    ),
    "sport": ("sport", "equipements sportifs", "stade", "gymnase", "piscine"),
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


def repeated_stems(text: str) -> dict[str, int]:
    """theme slug -> most occurrences of any one of its stems (the fallback for one-stem texts)."""
    folded = " " + fold(text) + " "
    best: dict[str, int] = {}
    for slug, pattern in _patterns().items():
        counts: dict[str, int] = {}
        for m in pattern.finditer(folded):
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
        if counts:
            best[slug] = max(counts.values())
    return best


def suggested_slugs(text: str) -> list[str]:
    scores = theme_scores(text)
    ranked = sorted((s for s in scores.items() if s[1] >= MIN_HITS), key=lambda s: (-s[1], s[0]))
    if not ranked:
        # No theme with two distinct stems: one stem said again and again still tells the subject.
        repeated = sorted(repeated_stems(text).items(), key=lambda s: (-s[1], s[0]))
        if (
            repeated
            and repeated[0][1] >= MIN_REPEATS
            and (len(repeated) == 1 or repeated[1][1] < repeated[0][1])
        ):
            return [repeated[0][0]]
        return []
    # A second theme only when it is as well supported as the first.
    return [slug for slug, score in ranked[:MAX_THEMES] if score == ranked[0][1]]


def suggest_themes(session: Session, text: str) -> list[int]:
    """Ids of the themes suggested for `text` (only themes that exist in the database)."""
    slugs = suggested_slugs(text)
    if not slugs:
        return []
    ids = {
        slug: id_ for slug, id_ in session.execute(select(Theme.slug, Theme.id).where(Theme.slug.in_(slugs)))
    }
    return [ids[s] for s in slugs if s in ids]
