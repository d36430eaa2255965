"""Cut a free-text page at its headings into our structured sections (context/solution/results/…)."""

from __future__ import annotations

import re
from collections import defaultdict

# Headings of the free-text pages, mapped to our structured sections (first matching word wins).
_HEADING_SECTIONS = (
    (("solution", "produit", "service", "hypoth", "fonctionn"), "solution"),
    (
        (
            "impact",
            "résultat",
            "resultat",
            "stratég",
            "strateg",
            "objectif",
            "déploiement",
            "deploiement",
            "chronolog",
            "bénéfice",
            "benefice",
            "conclusion",
            "abandon",
            "mesure",
            "bilan",
            "où en",
        ),
        "results",
    ),
    (("territoire d", "essaimage", "réplica", "replica"), "transferability"),
)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*(.+?)\s*#*\s*$|^\s*\*\*([^*]{2,80})\*\*\s*:?\s*$")


def split_sections(body: str) -> dict[str, str]:
    """Cut a page at its headings and file each part under context/solution/results/transferability."""
    parts: dict[str, list[str]] = defaultdict(list)
    current = "context"
    for line in body.splitlines():
        match = _HEADING.match(line)
        if match:
            heading = (match.group(1) or match.group(2) or "").casefold()
            current = "context"
            for words, section in _HEADING_SECTIONS:
                if any(w in heading for w in words):
                    current = section
                    break
        parts[current].append(line)
    return {name: "\n".join(lines).strip() for name, lines in parts.items()}
