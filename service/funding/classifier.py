"""Which funded projects are digital: documented rules over the project's title (DGCL grants).

A title is digital when its object is digital equipment, software, a network, a digital public service,
digital inclusion or video protection. Rules, in order, over the accent-free lower-case title (`fold`):
  1. EXCLUDE: the digital word is incidental to civil works (burying networks, road works with fibre,
     street addressing "pour la fibre", heating or energy works of a "smart" building).
  2. The first category whose pattern matches gives the category (a title may mention several things:
     school IT before generic IT, inclusion before generic "numérique").
  3. Nothing matches: not digital. "Maison France Services" alone is a building, not a digital project.
Measured on a labelled sample of 200 titles: `bench/funded_projects_classifier.py`."""

from __future__ import annotations

import re
from enum import StrEnum

from service.textkeys import fold


class DigitalCategory(StrEnum):
    ecoles = "ecoles"
    administration = "administration"
    connectivite = "connectivite"
    inclusion = "inclusion"
    videoprotection = "videoprotection"
    services = "services"


CATEGORY_LABELS: dict[DigitalCategory, str] = {
    DigitalCategory.ecoles: "Numérique éducatif",
    DigitalCategory.administration: "Informatique et logiciels de la collectivité",
    DigitalCategory.connectivite: "Réseaux, fibre et wifi",
    DigitalCategory.inclusion: "Inclusion et médiation numériques",
    DigitalCategory.videoprotection: "Vidéoprotection",
    DigitalCategory.services: "Services et outils numériques",
}

_EXCLUDE = re.compile(
    r"\benfouissement|\bvoirie\b|\badressage\b|\bdenomination des (rues|voies)|\bchauffage\b"
    r"|\brenovation (energetique|thermique)|\bsmart ?flower|\bsmart ?grids?\b|\bsmart energy"
    r"|\bphotovolta|\bpiste cyclable|\btoiture\b|\beclairage public|\bgaines?\b"
)
_DIGITAL = r"(numeri\w*|informati(?!on)\w*|tablettes?|tbi|ent|ordinateurs?|video ?projecteurs? interactifs?)"
_RULES: list[tuple[DigitalCategory, re.Pattern[str]]] = [
    (
        DigitalCategory.videoprotection,
        re.compile(r"\bvideo ?(protection|surveillance)\b|\bcameras? de surveillance"),
    ),
    (
        DigitalCategory.ecoles,
        re.compile(
            rf"\b(ecoles?|scolaires?|colleges?|lycees?|classes?|eleves|pedagogi\w*|periscolaire)\b.*\b{_DIGITAL}\b"
            rf"|\b{_DIGITAL}\b.*\b(ecoles?|scolaires?|colleges?|lycees?|classes?|eleves|pedagogi\w*|periscolaire)\b"
            r"|\becoles? (numeriques?|connectees?)\b|\btableaux? (blancs? )?(numeriques?|interactifs?)\b"
            r"|\bespaces? numeriques? de travail\b|\b(mise en place|materiels?) (d )?ent\b"
        ),
    ),
    (
        DigitalCategory.inclusion,
        re.compile(
            r"\b(espaces?|points?|lieux?|maisons?|tiers lieux?|pole|centre|salle|atelier)"
            r" (public )?numeriques?\b"
            r"|\b(inclusion|mediation|mediateurs?|conseillers?|accompagnement|acces) (au |du )?numeriques?\b"
            r"|\bfab ?lab\b|\bcyber ?(base|espace|centre)\b|\baidants? connect\b"
            r"|\bfrance services?\b.*\b(numeri|informati(?!on))"
            r"|\b(numeri|informati(?!on))\w*\b.*\bfrance services?\b"
        ),
    ),
    (
        DigitalCategory.connectivite,
        re.compile(
            r"\bwi ?fi\b|\bfibre optique\b|\bfibre\b|\btres haut debit\b|\bthd\b|\breseaux? informatiques?\b"
            r"|\bcouverture (mobile|numerique)\b|\bamenagement numerique\b"
            r"|\breseau (de )?telecommunications?\b"
        ),
    ),
    (
        DigitalCategory.administration,
        re.compile(
            r"\binformati(?!on)\w*\b|\blogiciels?\b|\bserveurs?\b|\bdematerialis\w*\b|\bordinateurs?\b"
            r"|\bcyber ?securite\b|\bcyber\b|\bnumerisation\b|\bvisio ?conference\b|\bsysteme d information\b"
            r"|\badministration numerique\b|\barchivage electronique\b|\bparapheur\b"
        ),
    ),
    (
        DigitalCategory.services,
        re.compile(
            r"\bsites? (internet|web)\b|\bportail (web|internet|citoyen|numerique)\b"
            r"|\bapplication (mobile|smartphone)\b"
            r"|\bsmartphone\b|\bsmart (city|village|country|administration|parking)\b|\bnumeriques?\b"
            r"|\b(panneaux?|bornes?|ecrans?) (d )?(affichage |information )?"
            r"(numeriques?|connectes?|interactifs?|tactiles?)\b"
            r"|\bconnecte(e|s|es)?\b|\bobjets? connectes?\b|\btablettes?\b|\bdigital\w*\b|\bdomotique\b"
        ),
    ),
]


def classify(title: str) -> DigitalCategory | None:
    """The digital category of a funded project's title, or None when it is not a digital project."""
    key = fold(title)
    if _EXCLUDE.search(key):
        return None
    for category, pattern in _RULES:
        if pattern.search(key):
            return category
    return None
