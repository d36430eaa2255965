"""Gazetteer linker: the territories a text names, over the official lists (communes, EPCI, départements,
régions), with disambiguation. Pure functions (`mentions`, `link_text`) plus one loader (`load_gazetteer`)
that fetches only the names the text could mean, so it runs on every write without a warm-up.

Rules (measured on bench/linker/sample.jsonl with bench/linker_precision.py):
- a mention is a run of capitalised words ("Saint-Ouen-sur-Seine", "Le Havre", "CC du Sud-Artois"); the
  longest run found in the gazetteer wins; a run glued to another capitalised word is part of a bigger name
  (a person, "Maison France Services") unless that word is a place noun ("Ville de", "Département du");
- names that are also common words ("Nord", "Eu", "Plan", "Vue", "Orange") need a place noun or "à" before;
- a single word at the start of a sentence, or a small commune (< 5,000 inhabitants) named without a place
  noun, is not enough;
- homonyms take the one in a département the text (or the author's declared territories) names, else the
  one 10 times bigger than the others, else none;
- "Nord" the département and "Nord" the commune: a département or région name beats a commune of the same
  name unless the text says "commune"/"ville".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.territories.models import Territory, TerritoryKind
from service.textkeys import fold

MIN_CONFIDENCE = 0.7
MAX_SPAN = 7
SMALL_COMMUNE = 5_000

# Place nouns: what makes the next name a place ("la ville d'Agen", "le département du Nord").
_PLACE_NOUNS = {
    "commune": TerritoryKind.commune,
    "communes": TerritoryKind.commune,
    "ville": TerritoryKind.commune,
    "mairie": TerritoryKind.commune,
    "municipalite": TerritoryKind.commune,
    "departement": TerritoryKind.departement,
    "conseil departemental": TerritoryKind.departement,
    "region": TerritoryKind.region,
    "conseil regional": TerritoryKind.region,
    "agglomeration": TerritoryKind.epci,
    "metropole": TerritoryKind.epci,
    "intercommunalite": TerritoryKind.epci,
}
# Prepositions that make a place of a following name when the name is not a common word: "à Pau".
_PREPOSITIONS = {"a", "au", "aux", "en"}
_CONNECTORS = {"de", "du", "des", "la", "le", "les", "l", "d", "sur", "sous", "en", "et", "lès", "lez", "aux"}
_CONNECTORS |= {"au", "val"}
# EPCI long forms -> the short forms of the official names.
_EPCI_ALIASES = (
    ("communaute de communes", "cc"),
    ("communaute d agglomeration", "ca"),
    ("communaute urbaine", "cu"),
)
# Names of places that are also ordinary words or names of other things, checked folded.
COMMON_WORDS = frozenset(
    [
        "nord",
        "sud",
        "est",
        "ouest",
        "centre",
        "eu",
        "plan",
        "vue",
        "y",
        "orange",
        "bar",
        "ban",
        "bois",
        "mer",
        "sept",
        "charge",
        "service",
        "lieu",
        "pont",
        "port",
        "saint",
        "sainte",
        "source",
        "sources",
        "marche",
        "plaine",
        "plage",
        "rue",
        "vallee",
        "valence",
        "cours",
        "ile",
        "moulin",
        "moulins",
        "chateau",
        "tour",
        "tours",
        "foix",
        "fort",
        "grand",
        "grande",
        "petit",
        "petite",
        "noyers",
        "pins",
        "bourg",
        "villa",
        "villes",
        "vic",
        "bourg",
        "bourgs",
        "lac",
        "abbaye",
        "parc",
        "cote",
        "cotes",
        "roche",
        "rochefort",
        "france",
        "europe",
        "montagne",
        "mont",
        "jardin",
        "jardins",
        "louvre",
        "mairie",
        "maison",
        "maisons",
        "beaux",
        "arts",
        "poste",
        "campagne",
        "mars",
        "mai",
        "juin",
        "juillet",
        "aout",
        "avril",
        "fleurs",
        "pierre",
        "paul",
        "jean",
        "louis",
        "martin",
        "vincent",
        "laurent",
        "etienne",
        "germain",
        "denis",
        "claude",
        "marie",
        "anne",
        "sauveur",
        "genis",
        "aubin",
        "rose",
        "florence",
        "lorient",
        "bonneval",
        "villeneuve",
        "neuville",
        "beaumont",
        "belleville",
        "chatillon",
        "grandville",
        "oye",
        "aire",
        "aide",
        "annee",
        "ancienne",
        "belle",
        "blanc",
        "bonne",
        "bon",
        "bons",
        "carre",
        "clos",
        "digue",
        "ecole",
        "fontaine",
        "garde",
        "gare",
        "grange",
        "halles",
        "havre",
        "hopital",
        "loges",
        "lyre",
        "marais",
        "mesnil",
        "monnaie",
        "nouvelle",
        "oie",
        "pas",
        "pin",
        "pins",
        "pomme",
        "porte",
        "pres",
        "prix",
        "quai",
        "ris",
        "sel",
        "signes",
        "sol",
        "sommes",
        "tante",
        "tenir",
        "terre",
        "tour",
        "treves",
        "val",
        "vaux",
        "verte",
        "vers",
        "vert",
        "ville",
        "voie",
        "vue",
    ]
)
_KIND_PRIORITY = {
    TerritoryKind.departement: 0,
    TerritoryKind.region: 1,
    TerritoryKind.epci: 2,
    TerritoryKind.ept: 3,
    TerritoryKind.commune: 4,
}
_TOKEN = re.compile(r"[^\W\d_][\w-]*'?|\d+|[.!?;:\n]", re.UNICODE)


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    kind: TerritoryKind
    name: str
    departement_code: str | None
    population: int | None
    region_code: str | None = None


@dataclass(frozen=True)
class Mention:
    key: str  # folded, EPCI aliases applied
    surface: str
    start: int  # token index
    end: int  # exclusive
    place_noun: TerritoryKind | None  # "ville de", "département du" just before
    preposition: bool  # "à", "en" just before
    sentence_start: bool
    glued: bool  # a capitalised word sticks to it (part of a bigger proper name)
    glued_after: bool  # ... after it ("Grand" in "Grand Autunois")


@dataclass(frozen=True)
class Link:
    territory_id: int
    code: str
    name: str
    kind: TerritoryKind
    confidence: float
    evidence: str
    departement_code: str | None = None
    region_code: str | None = None


def normalise_key(name: str) -> str:
    key = fold(name)
    for long, short in _EPCI_ALIASES:
        if key.startswith(long + " "):
            key = short + key[len(long) :]
    return key


def _tokens(text: str) -> list[str]:
    # "d'Épinal" -> "d'", "Épinal"; "l’Oise" -> "l'", "Oise"
    text = text.replace("’", "'")
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        if "'" in tok[:-1]:
            head, _, tail = tok.partition("'")
            out.extend([head + "'", tail] if tail else [head + "'"])
        else:
            out.append(tok)
    return out


def _capitalised(tok: str) -> bool:
    return tok[:1].isupper()


def _connector(tok: str) -> bool:
    return fold(tok.rstrip("'")) in _CONNECTORS


def mentions(text: str) -> list[Mention]:
    """Every run of capitalised words (with connectors inside) that could name a place."""
    toks = _tokens(text)
    found: list[Mention] = []
    for i, tok in enumerate(toks):
        if not _capitalised(tok) or (_connector(tok) and not tok[:1].isupper()):
            continue
        for j in range(i + 1, min(i + MAX_SPAN, len(toks)) + 1):
            last = toks[j - 1]
            if not (_capitalised(last) or _connector(last)) or last in ".!?;:\n":
                break
            if not _capitalised(last) or last.endswith("'"):
                continue
            surface = " ".join(toks[i:j])
            before = [fold(t.rstrip("'")) for t in toks[max(0, i - 3) : i]]
            prev = toks[i - 1] if i else "."
            noun = None
            for size in (2, 1):
                window = before[-(size + 1) : -1] if before and before[-1] in _CONNECTORS else before[-size:]
                phrase = " ".join(window)
                if phrase in _PLACE_NOUNS:
                    noun = _PLACE_NOUNS[phrase]
                    break
            glued_before = i > 0 and _capitalised(prev) and not prev.endswith("'") and noun is None
            after = toks[j] if j < len(toks) else "."
            glued_after = _capitalised(after) and not _connector(after)
            found.append(
                Mention(
                    key=normalise_key(surface),
                    surface=surface.replace("' ", "'"),
                    start=i,
                    end=j,
                    place_noun=noun,
                    preposition=bool(before) and before[-1] in _PREPOSITIONS,
                    sentence_start=prev in ".!?;:\n" or i == 0 or prev.startswith(("-", "*", "#")),
                    glued=glued_before or glued_after,
                    glued_after=glued_after,
                )
            )
    return found


# A national product is not about a place, but the places it was piloted in are (only those sentences).
_PILOT_CUES = re.compile(
    r"experiment|pilote|deploie|deploye|deploiement|territoires? test|territoires? partenaires?|"
    r"collectivites? partenaires?|premiers? territoires?|en partenariat avec|lance a |lance dans|"
    r"ouvert a |ouvert dans|beta test|generalis"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def pilot_sentences(text: str) -> str:
    """The sentences of `text` that tell where something was piloted or deployed (pure)."""
    return "\n".join(s for s in _SENTENCE_END.split(text) if _PILOT_CUES.search(fold(s)))


def load_gazetteer(session: Session, keys: Iterable[str]) -> dict[str, list[Place]]:
    """The territories whose folded name is one of `keys` (communes, EPCI, EPT, départements, régions)."""
    wanted = sorted(set(keys))
    gazetteer: dict[str, list[Place]] = {}
    kinds = list(_KIND_PRIORITY)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = session.execute(
            select(
                Territory.id,
                Territory.code,
                Territory.kind,
                Territory.name,
                Territory.departement_code,
                Territory.population,
                Territory.region_code,
                Territory.name_key,
            ).where(Territory.name_key.in_(chunk), Territory.kind.in_(kinds))
        )
        for row in rows:
            gazetteer.setdefault(row.name_key, []).append(Place(*row[:7]))
    return gazetteer


def choose_place(
    places: Sequence[Place],
    wanted: TerritoryKind | None,
    departements: set[str],
    *,
    dominance: int = 10,
    min_population: int = 10_000,
) -> tuple[Place, float, str] | None:
    """One place for a name: of the wanted kind if any, else département > région > EPCI > commune; among
    homonyms, the one in a known département, else one ten times bigger than the others."""
    if not places:
        return None
    if wanted is not None:
        of_kind = [p for p in places if p.kind == wanted]
        if wanted is TerritoryKind.epci:
            of_kind = [p for p in places if p.kind in (TerritoryKind.epci, TerritoryKind.ept)]
        if of_kind:
            places = of_kind
    best_kind = min(_KIND_PRIORITY[p.kind] for p in places)
    places = [p for p in places if _KIND_PRIORITY[p.kind] == best_kind]
    if len(places) == 1:
        return places[0], 1.0, "unique"
    in_context = [p for p in places if p.departement_code in departements]
    if len(in_context) == 1:
        return in_context[0], 0.9, "département du contexte"
    ranked = sorted(places, key=lambda p: p.population or 0, reverse=True)
    top, second = ranked[0].population or 0, ranked[1].population or 0
    if top >= min_population and top >= dominance * max(second, 1):
        return ranked[0], 0.8, "homonyme le plus peuplé"
    return None


def link_text(
    text: str,
    gazetteer: dict[str, list[Place]],
    *,
    context_departements: Iterable[str] = (),
) -> list[Link]:
    """The territories `text` names, best first, each once, with a confidence and the words that named it."""
    found = [m for m in mentions(text) if m.key in gazetteer]
    # Longest first; a shorter run inside a kept one is dropped.
    found.sort(key=lambda m: (-(m.end - m.start), m.start))
    taken: set[int] = set()
    kept: list[Mention] = []
    for m in found:
        span = set(range(m.start, m.end))
        if span & taken:
            continue
        taken |= span
        kept.append(m)
    departements = set(context_departements)
    for m in kept:
        for p in gazetteer[m.key]:
            if p.kind is TerritoryKind.departement and len(gazetteer[m.key]) == 1:
                departements.add(p.departement_code or p.code.removeprefix("dep-"))
    links: dict[int, Link] = {}
    for m in sorted(kept, key=lambda m: m.start):
        choice = choose_place(gazetteer[m.key], m.place_noun, departements)
        if choice is None:
            continue
        place, base, why = choice
        confidence = _confidence(m, place, base)
        if confidence < MIN_CONFIDENCE:
            continue
        previous = links.get(place.id)
        if previous is None or previous.confidence < confidence:
            links[place.id] = Link(
                place.id,
                place.code,
                place.name,
                place.kind,
                confidence,
                f"« {m.surface} » ({why})",
                place.departement_code,
                place.region_code,
            )
    return sorted(links.values(), key=lambda link: -link.confidence)


def within(link: Link, departements: set[str], regions: set[str]) -> bool:
    """Is the linked place inside the declared ones' départements or régions (a neighbour, not a
    benchmark elsewhere in France)?"""
    if link.kind is TerritoryKind.region:
        return link.region_code in regions
    if departements:  # a département or a smaller place is declared: stay in its département(s)
        return link.departement_code in departements
    return link.region_code in regions


# Sentences that name a place as a comparison, an example or a landmark, not as a place concerned.
_ASIDE_CUES = re.compile(
    r"exemple|comme a |comme dans |benchma|a l exception|mi chemin|proximite geographique|cour d appel|"
    r"\bcci\b|chambre de commerce|statistique|selon (une|l) "
)


def aside(text: str, surface: str) -> bool:
    """Is `surface` only named, in `text`, in sentences that compare or illustrate (pure)?"""
    sentences = [s for s in _SENTENCE_END.split(text) if surface in s]
    return bool(sentences) and all(_ASIDE_CUES.search(fold(s)) for s in sentences)


def _confidence(m: Mention, place: Place, base: float) -> float:
    words = m.end - m.start
    common = m.key in COMMON_WORDS
    if m.glued_after:
        return 0.0
    if m.place_noun is not None:
        return round(0.95 * base, 2)
    if m.glued:
        return 0.0
    if m.key.startswith(("saint ", "sainte ")) and "-" not in m.surface and not m.preposition:
        return 0.0  # "Saint Jean", "Sainte Marie": a saint or a person, not "Saint-Jean"
    if common and not m.preposition:
        return 0.0
    if place.kind is TerritoryKind.commune:
        if words == 1 and m.sentence_start and not m.preposition:
            return 0.0
        if (place.population or 0) < SMALL_COMMUNE and not m.preposition:
            return 0.0
        if (place.population or 0) < SMALL_COMMUNE and common:
            return 0.0
        return round((0.9 if words > 1 or m.preposition else 0.8) * base, 2)
    return round(0.9 * base, 2)
