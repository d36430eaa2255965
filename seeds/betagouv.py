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

from seeds.anct import enriched_pages, load_investigations
from seeds.cases import SeedCase, upsert_case
from seeds.organisations import upsert_organisation
from seeds.paths import BETAGOUV_DIR
from seeds.report import StepReport
from seeds.sections import split_sections
from seeds.text import clean_text, elision_vocabulary, looks_like_person, restore_apostrophes, shorten_title
from seeds.themes import betagouv_label_map
from service.casestudies.models import CaseScope, CaseStudy, ProjectStatus, PublicationState
from service.organisations.models import OrganisationKind
from service.territories.articles import repair_departement_label
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
PNI_MISSION = "Programme national d'investigation"


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


def load_pages() -> list[dict[str, Any]]:
    with (BETAGOUV_DIR / "startups.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def corpus_vocabulary() -> tuple[Any, Any]:
    """Word and elided-form counts over every imported text: the evidence apostrophe repairs rely on."""
    texts = [p["body_markdown"] or "" for p in load_pages()]
    texts += [p["mission"] for p in load_pages()]
    for inv in load_investigations():
        texts += [inv["mission"] or "", inv["fiche_de_probleme"] or "", inv["conclusion"] or ""]
    return elision_vocabulary(texts)


def local_slugs() -> set[str]:
    """Pages about a place: products born of a local authority's investigation."""
    return {
        inv["beta_url"].rsplit("/", 1)[-1].removesuffix(".html")
        for inv in load_investigations()
        if inv["beta_url"]
    }


def sponsor_resolver(session: Session) -> Callable[[str], Territory | None]:
    """'Département de l'Oise' -> the Oise, 'Département du Var' -> the Var (collectivités sponsors)."""
    by_name = {
        fold(t.name): t
        for t in session.scalars(
            select(Territory).where(Territory.kind.in_((TerritoryKind.departement, TerritoryKind.region)))
        )
    }

    def resolve(name: str) -> Territory | None:
        match = re.match(
            r"^(?:Département|Région|Conseil (?:départemental|régional)) "
            r"(?:du |de la |de l'|des |de |d')?(.+)$",
            name,
        )
        return by_name.get(fold(match.group(1))) if match else None

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
    pages = load_pages()
    enriched = enriched_pages()  # their text comes from the ANCT investigations (seeds/anct.py)
    words, elided = corpus_vocabulary()
    local = local_slugs()
    resolve_sponsor = sponsor_resolver(session)
    for page in pages:
        if page["slug"] in enriched:
            if on_progress:
                on_progress(1)
            continue
        organisation = None
        territories = (
            resolve_territories(page["collectivite_sponsor"]) if page["collectivite_sponsor"] else []
        )
        # The first sponsor that is an organisation (one page names a person: left out).
        for sponsor in page["sponsors"]:
            name = repair_departement_label(clean_text(sponsor.get("name") or "").strip())
            if not name or looks_like_person(name):
                continue
            acronym = (sponsor.get("acronym") or "").strip() or None
            kind = SPONSOR_KINDS.get(sponsor.get("type", ""), OrganisationKind.state)
            place = resolve_sponsor(name) if kind is OrganisationKind.collectivite else None
            if place is not None and place not in territories:
                territories.append(place)
            organisation = upsert_organisation(
                session, name=name, kind=kind, acronym=acronym, territory=place
            )
            break
        title = shorten_title(restore_apostrophes(page["title"].strip(), words, elided))
        mission = restore_apostrophes(page["mission"].strip(), words, elided)
        if not mission or mission.startswith(PNI_MISSION):
            mission = title  # "Programme national d'investigation (n)" says nothing of the project
        is_local = bool(territories) or page["slug"] in local or page["slug"].startswith("anct-pni-")
        theme_slugs = {
            label_to_theme[t.strip().casefold()]
            for t in page["thematiques"]
            if t.strip().casefold() in label_to_theme
        }
        sections = split_sections(page["body_markdown"] or "")
        phases = page["phases"] or []
        status = PHASE_STATUS.get(phases[-1]["name"], ProjectStatus.pilot) if phases else ProjectStatus.idea
        values: dict[str, Any] = {
            "title": title,
            "summary": mission,
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
            "scope": CaseScope.local if is_local else CaseScope.national,
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
