"""Software of the catalogue (SILL) named in a text: "nous utilisons Nextcloud et QGIS" -> both. Names are
matched whole, case-insensitively, after a parenthesised qualifier is dropped ("Framadate (logiciel)" ->
"Framadate"); names that are ordinary words ("Dash", "Mobile", "Pulse", "Vault"…) or shorter than four
characters are not looked for. Results are "suggéré" until an author confirms them."""

from __future__ import annotations

import re
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.software.models import Software

# Catalogue names that are also common words in French or English texts: never matched from text alone.
AMBIGUOUS = frozenset(
    [
        "dash",
        "dia",
        "mobile",
        "pulse",
        "vault",
        "consul",
        "escalation",
        "nexus",
        "pencil",
        "packer",
        "rudder",
        "swarm",
        "survey",
        "reports",
        "swift",
        "uninstall",
        "webaccess",
        "webservice",
        "behaviors",
        "opale",
        "squid",
        "cachet",
        "yarn",
        "junit",
        "jekyll",
        "rancher",
        "samba",
        "pacemaker",
        "docker",
        "git",
        "jenkins",
        "data",
        "injection",
        "publik",
        "vitam",
        "spip",  # also the "service pénitentiaire d'insertion et de probation"
    ]
)


def _pattern_name(name: str) -> str | None:
    base = re.sub(r"\s*\(.*?\)\s*", " ", name).strip()
    if len(base) < 4 or base.casefold() in AMBIGUOUS:
        return None
    return base


@cache
def _regex(names: tuple[tuple[int, str], ...]) -> tuple[re.Pattern[str], dict[str, int]]:
    by_name: dict[str, int] = {}
    for software_id, name in names:
        base = _pattern_name(name)
        if base is not None:
            by_name.setdefault(base.casefold(), software_id)
    alternatives = sorted(by_name, key=len, reverse=True)
    pattern = r"(?<![\w.-])(" + "|".join(re.escape(a) for a in alternatives) + r")(?![\w-])"
    return re.compile(pattern, re.IGNORECASE), by_name


def software_in_text(text: str, catalogue: tuple[tuple[int, str], ...]) -> list[int]:
    """Ids of the catalogue entries `text` names, in order of first mention (pure)."""
    if not catalogue:
        return []
    regex, by_name = _regex(catalogue)
    found: list[int] = []
    for match in regex.finditer(text):
        software_id = by_name[match.group(1).casefold()]
        if software_id not in found:
            found.append(software_id)
    return found


def detect_software(session: Session, text: str) -> list[int]:
    catalogue = tuple(
        (id_, name) for id_, name in session.execute(select(Software.id, Software.name).order_by(Software.id))
    )
    return software_in_text(text, catalogue)
