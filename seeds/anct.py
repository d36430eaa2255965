"""The 100 investigations of the ANCT's Incubateur des Territoires (Licence Ouverte 2.0): problem write-ups of
local authorities. An investigation that is the full text of a near-empty beta.gouv.fr page titled
"Programme national d'investigation (n)" enriches that page (one experience, not two); the others become
experiences of their local authority. Territories are named in the source: they are resolved against the
official lists (declared links), and the text is read by the gazetteer linker (detected links)."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.organisations import upsert_organisation
from seeds.paths import ANCT_DIR, BETAGOUV_DIR
from seeds.report import StepReport
from seeds.sections import split_sections
from seeds.text import clean_text, html_to_markdown, looks_like_person, shorten_title
from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.organisations.models import Organisation, OrganisationKind
from service.territories.articles import departement_label, of_name, region_label
from service.territories.linker import Place, choose_place, load_gazetteer, normalise_key
from service.territories.models import Territory, TerritoryKind
from service.textkeys import fold

LICENCE = "etalab-2.0"
ATTRIBUTION = "Agence nationale de la cohésion des territoires — Incubateur des Territoires"
COMMIT = "5505822f4d3bf6dbe7c3de9ac248c859ba61100f"
SOURCE_URL = (
    "https://github.com/incubateur-territoires/incubateur.anct.gouv.fr/blob/"
    + COMMIT
    + "/assets/data/investigation/{id}/index.json"
)
STATUS = {
    "en_preparation": ProjectStatus.idea,
    "en_cours": ProjectStatus.idea,
    "termine": ProjectStatus.pilot,
}
# The cohort says whose programme it was when the record names no territory ("Bretagne 2020").
COHORT_TERRITORY = {
    "bretagne": ("Bretagne", TerritoryKind.region),
    "hauts-de-france": ("Hauts-de-France", TerritoryKind.region),
    "agglo de pau": ("CA Pau Béarn Pyrénées", TerritoryKind.epci),
    "le var": ("Var", TerritoryKind.departement),
    "les lilas": ("Les Lilas", TerritoryKind.commune),
    "côtes d'armor": ("Côtes-d'Armor", TerritoryKind.departement),
    "le havre": ("Le Havre", TerritoryKind.commune),
}
MATCH_RATIO = 0.9
SAME_STORY_RATIO = 0.6  # a product page and its investigation: same mission, reworded at most


def load_investigations() -> list[dict[str, Any]]:
    with (ANCT_DIR / "investigations.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _squash(text: str) -> str:
    return fold(text).replace(" ", "")


@cache
def enriched_pages() -> dict[str, int]:
    """beta.gouv.fr slug -> investigation id, for the pages an investigation holds the text of: the
    near-empty "Programme national d'investigation (n)" pages (same mission, apostrophes lost on export
    aside: compared without spaces and punctuation), and the product pages an investigation links to
    (beta_url) that tell the same story (same mission); one experience each, not two."""
    with (BETAGOUV_DIR / "startups.jsonl").open(encoding="utf-8") as f:
        pages = {p["slug"]: p for p in map(json.loads, f)}
    investigations = load_investigations()
    matches: dict[str, int] = {}
    taken: set[int] = set()
    for inv in investigations:
        slug = (inv["beta_url"] or "").rsplit("/", 1)[-1].removesuffix(".html")
        page = pages.get(slug)
        if page and _ratio(inv["mission"] or "", page["mission"]) >= SAME_STORY_RATIO:
            matches[slug] = inv["id"]
            taken.add(inv["id"])
    candidates = [
        p
        for p in pages.values()
        if p["slug"].startswith("anct-pni-")
        or p["mission"].startswith("Programme national d'investigation")
        or p["collectivite_sponsor"]
    ]
    for page in candidates:
        if page["slug"] in matches:
            continue
        best, best_ratio = None, 0.0
        for inv in investigations:
            for text in (inv["mission"] or "", inv["nom"] or ""):
                ratio = _ratio(text, page["title"]) if text else 0.0
                if ratio > best_ratio:
                    best, best_ratio = inv, ratio
        if best is not None and best_ratio >= MATCH_RATIO and best["id"] not in taken:
            matches[page["slug"]] = best["id"]
            taken.add(best["id"])
    return matches


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _squash(a), _squash(b)).ratio()


@dataclass
class Declared:
    territories: list[Territory]
    organisation_territory: Territory | None


def _epci_fuzzy(session: Session) -> Callable[[str], Place | None]:
    rows = session.execute(
        select(
            Territory.id,
            Territory.code,
            Territory.kind,
            Territory.name,
            Territory.departement_code,
            Territory.population,
        ).where(Territory.kind.in_([TerritoryKind.epci, TerritoryKind.ept]))
    ).all()
    keys = {normalise_key(r.name).replace(" le ", " du ").replace(" la ", " de la "): Place(*r) for r in rows}

    def find(name: str) -> Place | None:
        key = normalise_key(re.sub(r"\(.*?\)", "", name)).replace(" le ", " du ")
        close = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.85)
        return keys[close[0]] if close else None

    return find


def declared_territories(
    session: Session, inv: dict[str, Any], epci_fuzzy: Callable[[str], Place | None]
) -> tuple[list[Place], str]:
    """The territories the record names, resolved; and how ("déclaré" or "promotion")."""
    wanted: list[tuple[str, TerritoryKind]] = (
        [(n, TerritoryKind.region) for n in inv["regions"]]
        + [(n, TerritoryKind.departement) for n in inv["departements"]]
        + [(n, TerritoryKind.epci) for n in inv["epcis"]]
        + [(n, TerritoryKind.commune) for n in inv["communes"]]
    )
    how = "déclaré"
    if not wanted and inv.get("promotion"):
        cohort = re.sub(r"\s*\d{4}$", "", inv["promotion"]).casefold()
        if cohort in COHORT_TERRITORY:
            wanted = [COHORT_TERRITORY[cohort]]
            how = "promotion"
    gazetteer = load_gazetteer(session, [normalise_key(n) for n, _ in wanted])
    departements: set[str] = set()
    found: list[Place] = []
    for name, kind in wanted:  # régions and départements first: they disambiguate communes
        places = gazetteer.get(normalise_key(name), [])
        choice = choose_place(places, kind, departements, dominance=5, min_population=2_000)
        place = choice[0] if choice and choice[0].kind == kind else None
        if place is None and kind is TerritoryKind.epci:
            place = epci_fuzzy(name)
        if place is None:
            continue
        if place.kind is TerritoryKind.departement and place.departement_code:
            departements.add(place.departement_code)
        if place.kind is TerritoryKind.epci or place.kind is TerritoryKind.ept:
            departements.add(place.departement_code or "")
        found.append(place)
    return found, how


def organisation_name(place: Place) -> str:
    if place.kind is TerritoryKind.commune:
        return "Commune " + of_name(place.name)
    if place.kind is TerritoryKind.departement:
        return departement_label(place.name)
    if place.kind is TerritoryKind.region:
        return region_label(place.name)
    return place.name


def _lead(places: list[Place]) -> Place | None:
    """Whose experience it is: one commune, else the EPCI, else the département, else the région."""
    communes = [p for p in places if p.kind is TerritoryKind.commune]
    if len(communes) == 1:
        return communes[0]
    for kind in (TerritoryKind.epci, TerritoryKind.ept, TerritoryKind.departement, TerritoryKind.region):
        for p in places:
            if p.kind is kind:
                return p
    return communes[0] if communes else None


def investigation_values(inv: dict[str, Any]) -> dict[str, Any]:
    mission = clean_text(inv["mission"] or "").strip()
    name = clean_text(inv["nom"] or "").strip()
    if looks_like_person(name):
        name = ""  # one record's "name" is a person's name
    if not mission or mission.casefold().startswith("en cours de définition"):
        title = name or f"Investigation n° {inv['id']}"
    else:
        title = mission
    summary = mission or title
    if name and fold(name) not in fold(summary):
        summary = f"{summary} (projet « {name} »)"
    problem = html_to_markdown(inv["fiche_de_probleme"])
    sections = split_sections(problem)
    conclusion = html_to_markdown(inv["conclusion"])
    results = "\n\n".join(s for s in (sections.get("results", ""), conclusion) if s)
    status = STATUS.get(inv["status"] or "", ProjectStatus.idea)
    if status is ProjectStatus.pilot and not (inv["beta_url"] or inv["service_url"]):
        status = ProjectStatus.idea
    start = inv["start_date"]
    return {
        "title": shorten_title(title),
        "summary": summary,
        "context": sections.get("context", ""),
        "solution": sections.get("solution", ""),
        "results": results,
        "resources": "",
        "transferability": sections.get("transferability", ""),
        "status": status,
        "started_on": date.fromisoformat(start[:10]) if start else None,
        "ended_on": None,
        "publication_state": PublicationState.published,
        "licence": LICENCE,
        "attribution": ATTRIBUTION,
        "source_url": SOURCE_URL.format(id=inv["id"]),
        "note": f"Investigation de la promotion « {inv['promotion']} »." if inv["promotion"] else None,
    }


def investigation_links(inv: dict[str, Any], page_slug: str | None) -> list[tuple[str, str]]:
    links: list[tuple[str, str]] = []
    if inv["beta_url"]:
        links.append(("Produit sur beta.gouv.fr", inv["beta_url"]))
    elif page_slug:
        links.append(("Fiche beta.gouv.fr", f"https://beta.gouv.fr/startups/{page_slug}.html"))
    if inv["service_url"]:
        links.append(("Service", inv["service_url"]))
    if inv["repo_url"]:
        links.append(("Code source", inv["repo_url"]))
    return links


@dataclass
class Prepared:
    external_key: str
    preferred_slug: str
    values: dict[str, Any]
    links: list[tuple[str, str]]
    territories: list[Territory]
    organisation: Organisation | None


def prepare(session: Session) -> Iterator[Prepared]:
    by_page = {inv_id: slug for slug, inv_id in enriched_pages().items()}
    epci_fuzzy = _epci_fuzzy(session)
    for inv in load_investigations():
        page_slug = by_page.get(inv["id"])
        places, how = declared_territories(session, inv, epci_fuzzy)
        territories = [session.get_one(Territory, p.id) for p in places]
        lead = _lead(places)
        organisation = None
        if lead is not None:
            organisation = upsert_organisation(
                session,
                name=organisation_name(lead),
                kind=OrganisationKind.collectivite,
                territory=session.get_one(Territory, lead.id),
            )
        values = investigation_values(inv)
        if how == "promotion" and values["note"]:
            values["note"] += " Territoire déduit de la promotion."
        key = f"anct:{inv['id']}"
        yield Prepared(
            external_key=key,
            preferred_slug=page_slug or f"investigation-{inv['id']}",
            values=values,
            links=investigation_links(inv, page_slug),
            territories=territories,
            organisation=organisation,
        )


def existing_cases(session: Session, prefixes: tuple[str, ...]) -> dict[str, CaseStudy]:
    found: dict[str, CaseStudy] = {}
    for prefix in prefixes:
        for case in session.scalars(select(CaseStudy).where(CaseStudy.external_key.like(f"{prefix}:%"))):
            if case.external_key:
                found[case.external_key] = case
    return found


def seed_anct(session: Session, on_progress: Callable[[int], None] | None = None) -> StepReport:
    from seeds.cases import SeedCase, upsert_case

    report = StepReport("cases (ANCT)")
    existing = existing_cases(session, ("anct", "betagouv"))
    for page_slug, inv_id in enriched_pages().items():
        # A database seeded before the merge holds the page under its beta.gouv.fr key: re-key it, so the
        # investigation updates that page instead of creating a second experience.
        old = existing.pop(f"betagouv:{page_slug}", None)
        if old is not None and f"anct:{inv_id}" not in existing:
            old.external_key = f"anct:{inv_id}"
            existing[f"anct:{inv_id}"] = old
    for item in prepare(session):
        upsert_case(
            session,
            existing,
            SeedCase(
                external_key=item.external_key,
                values=item.values,
                preferred_slug=item.preferred_slug,
                territories=item.territories,
                organisation=item.organisation,
                links=item.links,
            ),
            report,
        )
        if on_progress:
            on_progress(1)
    return report
