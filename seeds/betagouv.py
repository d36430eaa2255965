"""The 662 beta.gouv.fr product pages as published case studies (CC BY-NC-SA 4.0, attributed)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.cases import SeedCase, upsert_case
from seeds.organisations import upsert_organisation
from seeds.paths import BETAGOUV_DIR
from seeds.report import StepReport
from seeds.themes import betagouv_label_map
from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.organisations.models import OrganisationKind
from service.territories.models import Territory, TerritoryKind
from service.textkeys import fold
from service.themes.models import Theme

ATTRIBUTION = "beta.gouv.fr / DINUM et contributeurs"
LICENCE = "cc-by-nc-sa-4.0"

# beta.gouv.fr phase of a product -> our project status.
PHASE_STATUS = {
    "investigation": ProjectStatus.idea,
    "construction": ProjectStatus.pilot,
    "acceleration": ProjectStatus.deployed,
    "consolidation": ProjectStatus.deployed,
    "transfere": ProjectStatus.generalised,
    "opere": ProjectStatus.generalised,
    "abandon": ProjectStatus.stopped,
    "abandon-investigation": ProjectStatus.stopped,
}
SPONSOR_KINDS = {"collectivite-territoriale": OrganisationKind.collectivite}

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


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def territory_resolver(session: Session) -> Callable[[str], list[Territory]]:
    """Resolve 'Draguignan', 'CC Brenne' or 'Gilly-sur-Isère, La Chambre' when the name is unambiguous."""
    by_key: dict[str, list[Territory]] = defaultdict(list)
    kinds = (TerritoryKind.commune, TerritoryKind.epci)
    for territory in session.scalars(select(Territory).where(Territory.kind.in_(kinds))):
        by_key[territory.name_key].append(territory)

    def resolve(raw: str) -> list[Territory]:
        found: list[Territory] = []
        for name in raw.replace("*", "").split(","):
            candidates = by_key.get(fold(name), [])
            if len(candidates) == 1:
                found.append(candidates[0])
        return found

    return resolve


def seed_betagouv(session: Session, on_progress: Callable[[int], None] | None = None) -> StepReport:
    report = StepReport("cases (beta.gouv.fr)")
    label_to_theme = betagouv_label_map()
    themes = {t.slug: t for t in session.scalars(select(Theme))}
    resolve_territories = territory_resolver(session)
    existing = {
        c.external_key: c
        for c in session.scalars(select(CaseStudy).where(CaseStudy.external_key.like("betagouv:%")))
        if c.external_key
    }
    with (BETAGOUV_DIR / "startups.jsonl").open(encoding="utf-8") as f:
        pages = [json.loads(line) for line in f]
    for page in pages:
        organisation = None
        for sponsor in page["sponsors"][:1]:
            name = (sponsor.get("name") or "").strip()
            if name:
                acronym = (sponsor.get("acronym") or "").strip() or None
                organisation = upsert_organisation(
                    session,
                    name=name,
                    kind=SPONSOR_KINDS.get(sponsor.get("type", ""), OrganisationKind.state),
                    acronym=acronym,
                )
        territories = (
            resolve_territories(page["collectivite_sponsor"]) if page["collectivite_sponsor"] else []
        )
        theme_slugs = {
            label_to_theme[t.strip().casefold()]
            for t in page["thematiques"]
            if t.strip().casefold() in label_to_theme
        }
        sections = split_sections(page["body_markdown"] or "")
        phases = page["phases"] or []
        status = PHASE_STATUS.get(phases[-1]["name"], ProjectStatus.pilot) if phases else ProjectStatus.idea
        values: dict[str, Any] = {
            "title": page["title"].strip()[:120],
            "summary": page["mission"].strip() or page["title"].strip(),
            "context": sections.get("context", ""),
            "solution": sections.get("solution", ""),
            "results": sections.get("results", ""),
            "resources": "",
            "transferability": sections.get("transferability", ""),
            "status": status,
            "started_on": _date(phases[0].get("start")) if phases else None,
            "ended_on": _date(phases[-1].get("start")) if status is ProjectStatus.stopped else None,
            "publication_state": PublicationState.published,
            "licence": LICENCE,
            "attribution": ATTRIBUTION,
            "source_url": page["source"],
        }
        links = [("Site du service", page["link"].strip())] if (page.get("link") or "").strip() else []
        if (page.get("repository") or "").strip():
            links.append(("Code source", page["repository"].strip()))
        upsert_case(
            session,
            existing,
            SeedCase(
                external_key=f"betagouv:{page['slug']}",
                values=values,
                preferred_slug=page["slug"],
                themes=[themes[s] for s in sorted(theme_slugs)],
                territories=territories,
                organisation=organisation,
                links=links,
            ),
            report,
        )
        if on_progress:
            on_progress(1)
    return report
