"""French articles before territory names: "de l'Oise", "du Nord", "de la Somme", "des Yvelines", "de La
Réunion", "du Havre". One function builds every "Département de X" label (seeds, pages, repairs)."""

from __future__ import annotations

import re

# INSEE "type de liaison" (TNCC) of the départements and régions whose article is not "de"/"d'" by spelling
# (seeds/data/territories/departements.json and regions.json): 2 du, 3 de la, 4 des, 5 de l'.
_LIAISON: dict[str, int] = {
    "Ain": 5,
    "Aisne": 5,
    "Allier": 5,
    "Alpes-Maritimes": 4,
    "Alpes-de-Haute-Provence": 4,
    "Ardennes": 4,
    "Ardèche": 5,
    "Ariège": 5,
    "Aube": 5,
    "Aude": 5,
    "Aveyron": 5,
    "Bas-Rhin": 2,
    "Bouches-du-Rhône": 4,
    "Calvados": 2,
    "Cantal": 2,
    "Centre-Val de Loire": 2,
    "Charente": 3,
    "Charente-Maritime": 3,
    "Cher": 2,
    "Corrèze": 3,
    "Corse-du-Sud": 3,
    "Creuse": 3,
    "Côte-d'Or": 3,
    "Côtes-d'Armor": 4,
    "Deux-Sèvres": 4,
    "Dordogne": 3,
    "Doubs": 2,
    "Drôme": 3,
    "Essonne": 5,
    "Eure": 5,
    "Finistère": 2,
    "Gard": 2,
    "Gers": 2,
    "Gironde": 3,
    "Grand Est": 2,
    "Guadeloupe": 3,
    "Guyane": 3,
    "Haut-Rhin": 2,
    "Haute-Corse": 3,
    "Haute-Garonne": 3,
    "Haute-Loire": 3,
    "Haute-Marne": 3,
    "Haute-Savoie": 3,
    "Haute-Saône": 3,
    "Haute-Vienne": 3,
    "Hautes-Alpes": 4,
    "Hautes-Pyrénées": 4,
    "Hauts-de-France": 4,
    "Hauts-de-Seine": 4,
    "Hérault": 5,
    "Indre": 5,
    "Isère": 5,
    "Jura": 2,
    "Landes": 4,
    "Loir-et-Cher": 2,
    "Loire": 3,
    "Loire-Atlantique": 3,
    "Loiret": 2,
    "Lot": 2,
    "Lot-et-Garonne": 2,
    "Lozère": 3,
    "Manche": 3,
    "Marne": 3,
    "Martinique": 3,
    "Mayenne": 3,
    "Meuse": 3,
    "Morbihan": 2,
    "Moselle": 3,
    "Nièvre": 3,
    "Nord": 2,
    "Nouvelle-Aquitaine": 3,
    "Oise": 5,
    "Orne": 5,
    "Pas-de-Calais": 2,
    "Pays de la Loire": 4,
    "Puy-de-Dôme": 2,
    "Pyrénées-Atlantiques": 4,
    "Pyrénées-Orientales": 4,
    "Rhône": 2,
    "Sarthe": 3,
    "Savoie": 3,
    "Seine-Maritime": 3,
    "Seine-Saint-Denis": 3,
    "Somme": 3,
    "Tarn": 2,
    "Tarn-et-Garonne": 2,
    "Territoire de Belfort": 2,
    "Val-d'Oise": 2,
    "Val-de-Marne": 2,
    "Var": 2,
    "Vaucluse": 2,
    "Vendée": 3,
    "Vienne": 3,
    "Vosges": 4,
    "Yonne": 5,
    "Yvelines": 4,
}
_LINKS = {2: "du ", 3: "de la ", 4: "des ", 5: "de l'"}
_VOWEL = re.compile(r"^[AEIOUYHÂÊÎÔÛÉÈÀŒaeiouyhâêîôûéèàœ]")


def of_name(name: str) -> str:
    """'Oise' -> "de l'Oise", 'Nord' -> 'du Nord', 'La Réunion' -> 'de La Réunion', 'Le Havre' -> 'du Havre',
    'Les Lilas' -> 'des Lilas', 'Épinal' -> "d'Épinal", 'Pau' -> 'de Pau'."""
    name = name.strip()
    liaison = _LIAISON.get(name)
    if liaison is not None:
        return _LINKS[liaison] + name
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    if name.startswith(("La ", "L'")):
        return "de " + name
    return ("d'" if _VOWEL.match(name) else "de ") + name


def departement_label(name: str) -> str:
    """'Oise' -> "Département de l'Oise"."""
    return "Département " + of_name(name)


def region_label(name: str) -> str:
    """'Bretagne' -> 'Région Bretagne' (the official style: no article)."""
    return "Région " + name.strip()


_DEP_LABEL = re.compile(r"^D[ée]partement (?:du |de la |de l'|des |de |d')(.+)$", re.I)


def repair_departement_label(label: str) -> str:
    """'Département du Oise' -> "Département de l'Oise"; 'Département du Pas-de-calais' keeps its case."""
    match = _DEP_LABEL.match(label.strip())
    if not match:
        return label
    name = match.group(1).strip()
    known = {k.casefold(): k for k in _LIAISON}
    return departement_label(known.get(name.casefold(), name))
