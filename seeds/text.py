"""Repairs of imported text: HTML (with entities) to Markdown, lost apostrophes, over-long titles.

Pure functions: the importers call them, and tests/seeds/test_text_defects.py scans every seeded title and
organisation name with `title_defects` / `organisation_defects`."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from html.parser import HTMLParser

TITLE_MAX = 120

_BLOCKS = {"p", "div", "section", "article", "ul", "ol", "table", "tr", "blockquote", "figure"}
_HEADINGS = {"h1": 2, "h2": 2, "h3": 3, "h4": 4, "h5": 4, "h6": 4}


class _ToMarkdown(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lists: list[str] = []
        self.href: str | None = None
        self.link_text: list[str] = []

    def _newline(self, count: int = 2) -> None:
        self.out.append("\n" * count)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HEADINGS:
            self._newline()
            self.out.append("#" * _HEADINGS[tag] + " ")
        elif tag in _BLOCKS:
            if tag in ("ul", "ol"):
                self.lists.append(tag)
            self._newline()
        elif tag == "br":
            self._newline(1)
        elif tag == "li":
            self._newline(1)
            self.out.append("  " * max(len(self.lists) - 1, 0) + "- ")
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag in ("em", "i"):
            self.out.append("_")
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _HEADINGS or tag in _BLOCKS:
            if tag in ("ul", "ol") and self.lists:
                self.lists.pop()
            self._newline()
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag in ("em", "i"):
            self.out.append("_")
        elif tag == "a":
            text = "".join(self.link_text).strip()
            href = self.href or ""
            if href.startswith(("http://", "https://")) and text:
                self.out.append(f"[{text}]({href})")
            else:
                self.out.append(text)
            self.href = None

    def handle_data(self, data: str) -> None:
        data = re.sub(r"\s+", " ", data.replace("\xa0", " "))
        if self.href is not None:
            self.link_text.append(data)
        else:
            self.out.append(data)


def html_to_markdown(raw: str | None) -> str:
    """'<h2>Probl&egrave;me</h2><div>Texte</div>' -> '## Problème\n\nTexte' (entities decoded)."""
    if not raw:
        return ""
    parser = _ToMarkdown()
    parser.feed(raw)
    parser.close()
    text = "".join(parser.out)
    text = re.sub(r"\*\*\s*\*\*", "", text)  # empty bold pairs
    lines = [line.rstrip() for line in text.splitlines()]
    text = "\n".join(lines)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return clean_text(text).strip()


def clean_text(text: str) -> str:
    """Decode left-over HTML entities (twice-encoded ones too) and normalise typographic apostrophes."""
    for _ in range(2):
        if "&" not in text:
            break
        text = html.unescape(text)
    return text.replace("\u2019", "'").replace("\xa0", " ")


# Elision that lost its apostrophe: "lusage" for "l'usage", "dune" for "d'une".
_ELIDED = re.compile(r"\b(l|d|qu|n|s|j|c|m|t|jusqu|lorsqu|puisqu)([aeiouyhéèêàâîôûœ][\w-]{2,})\b", re.I)
# Real words that look like a lost elision; never "repaired".
REAL_WORDS = frozenset(
    [
        "lune",
        "dune",
        "laine",
        "lait",
        "lieu",
        "lien",
        "lieux",
        "liens",
        "loin",
        "loisir",
        "loisirs",
        "lire",
        "leur",
        "leurs",
        "libre",
        "libres",
        "lycée",
        "lycées",
        "lycéens",
        "lycéennes",
        "date",
        "dates",
        "dossier",
        "dossiers",
        "don",
        "dons",
        "doute",
        "douane",
        "douanes",
        "demeure",
        "deux",
        "sous",
        "sans",
        "sur",
        "son",
        "sont",
        "sol",
        "soit",
        "suite",
        "service",
        "services",
        "sage",
        "sait",
        "seul",
        "seule",
        "seuls",
        "seules",
        "nature",
        "naturel",
        "nouvel",
        "nouveau",
        "nouveaux",
        "nouvelle",
        "nouvelles",
        "note",
        "notes",
        "nos",
        "notre",
        "nous",
        "numérique",
        "jeune",
        "jeunes",
        "jeunesse",
        "jour",
        "jours",
        "joie",
        "même",
        "mois",
        "moins",
        "mode",
        "modes",
        "moyen",
        "moyens",
        "mairie",
        "mairies",
        "mise",
        "tout",
        "toute",
        "toutes",
        "tous",
        "temps",
        "terre",
        "territoire",
        "territoires",
        "titre",
        "titres",
        "tiers",
        "lien",
        "laïcité",
        "loup",
        "louer",
        "louvres",
        "levée",
        "lever",
        "logement",
        "logements",
        "leader",
    ]
)


def elision_vocabulary(texts: Iterable[str]) -> tuple[Counter[str], Counter[str]]:
    """Counts of plain words and of elided forms ("l'usage") in a corpus, to repair by evidence."""
    words: Counter[str] = Counter()
    elided: Counter[str] = Counter()
    for text in texts:
        text = clean_text(text)
        for match in re.finditer(r"\b(\w+)'(\w[\w-]*)", text):
            elided[f"{match.group(1).casefold()}'{match.group(2).casefold()}"] += 1
        for word in re.findall(r"\w[\w-]*", text):
            words[word.casefold()] += 1
    return words, elided


def restore_apostrophes(text: str, words: Counter[str], elided: Counter[str]) -> str:
    """Put back apostrophes lost on export ("linscription" -> "l'inscription") when the corpus shows the
    elided form ("l'inscription") and the glued form is not a real word."""

    def fix(match: re.Match[str]) -> str:
        prefix, rest = match.group(1), match.group(2)
        glued = match.group(0).casefold()
        if glued in REAL_WORDS:
            return match.group(0)
        key = f"{prefix.casefold()}'{rest.casefold()}"
        if elided[key] >= 1 and elided[key] >= words[glued]:
            return f"{prefix}'{rest}"
        return match.group(0)

    return _ELIDED.sub(fix, clean_text(text))


def shorten_title(title: str, limit: int = TITLE_MAX) -> str:
    """Fit a title in `limit` characters without cutting a word: at a clause (", notamment", " : ") when
    one leaves a sensible title, else at a word with an ellipsis."""
    title = re.sub(r"\s+", " ", clean_text(title)).strip().rstrip(".")
    if len(title) <= limit:
        return title
    head = title[:limit]
    for sep in (" : ", " – ", " - ", ", notamment", ", ", " ("):
        cut = head.rfind(sep)
        if cut >= 40:
            return head[:cut].rstrip(" ,;:")
    cut = head[: limit - 1].rfind(" ")
    return head[:cut].rstrip(" ,;:") + "…"


# ---- defect detectors (used by the scan test and by the importers' own checks) -------------------------

_ENTITY = re.compile(r"&(#\d+|#x[0-9a-f]+|[a-z]+);", re.I)
# Words seen glued in the original data: a scan that finds one has found a lost apostrophe.
_KNOWN_GLUED = re.compile(
    r"\b(lusage|dune|linscription|lattribution|limplantation|dentraide|limpact|lévolution|dévaluation|"
    r"léchelle|lisolement|laccès|laccueil|lenfant|lemploi|lhabitat|laide|daccès|dinformation|lentreprise)\b",
    re.I,
)
_PERSON = re.compile(r"^[A-ZÉÈ][a-zéèëïç]+(-[A-ZÉÈ][a-zéèëïç]+)?\s+[A-ZÉÈ][A-ZÉÈ'-]{2,}$")
# A département label with the wrong article: "Département du Oise", "Département de Nord".
_BAD_DEP = re.compile(r"\b[Dd]épartement (du [AEIOUYHÉ]|de [A-ZÉ](?!a |e |es )|de la [AEIOUYHÉ])")


def title_defects(title: str) -> list[str]:
    found: list[str] = []
    if _ENTITY.search(title):
        found.append("entité HTML")
    if _KNOWN_GLUED.search(title):
        found.append("apostrophe perdue")
    if len(title) > TITLE_MAX:
        found.append("trop long")
    if title != title.strip() or not title:
        found.append("espaces")
    if _BAD_DEP.search(title):
        found.append("article du département")
    return found


def looks_like_person(name: str) -> bool:
    """'Bruno CHIOCCHIA' (first name + upper-case surname), not 'Ville de Pau' nor 'DINUM'."""
    return bool(_PERSON.match(name.strip()))


def organisation_defects(name: str) -> list[str]:
    found = [d for d in title_defects(name) if d != "trop long"]
    if looks_like_person(name):
        found.append("nom de personne")
    return found
