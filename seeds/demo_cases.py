"""Six case studies written for the demo from a public account of a 2019 regional meeting."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.cases import SeedCase, upsert_case
from seeds.organisations import upsert_organisation
from seeds.paths import RETEX_DIR
from seeds.report import StepReport
from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.organisations.models import OrganisationKind
from service.software.models import Software
from service.territories.codes import normalise_code
from service.territories.models import Territory
from service.textkeys import fold, slugify
from service.themes.models import Theme

SCALARS = (
    "title",
    "summary",
    "context",
    "solution",
    "results",
    "resources",
    "transferability",
    "budget_eur",
    "staff_fte",
    "funding",
    "procurement_route",
    "partners",
)


def load_demo_cases() -> list[dict[str, Any]]:
    with (RETEX_DIR / "cases.json").open(encoding="utf-8") as f:
        data: list[dict[str, Any]] = json.load(f)
    return data


def _software(session: Session, name: str) -> Software:
    """The SILL record when the name matches one, else a plain record created for the demo."""
    for software in session.scalars(select(Software)):
        if fold(software.name) == fold(name):
            return software
    software = Software(slug=slugify(name), name=name)
    session.add(software)
    session.flush()
    return software


def seed_demo_cases(session: Session) -> StepReport:
    report = StepReport("cases (demo)")
    themes = {t.slug: t for t in session.scalars(select(Theme))}
    existing = {
        c.external_key: c
        for c in session.scalars(select(CaseStudy).where(CaseStudy.external_key.like("retex-demo:%")))
        if c.external_key
    }
    for raw in load_demo_cases():
        codes = [normalise_code(c) for c in raw["territories"]]
        territories = list(session.scalars(select(Territory).where(Territory.code.in_(codes))))
        territories.sort(key=lambda t: codes.index(t.code))
        org_info = raw["organisation"]
        org_territory = None
        if org_info.get("territory_code"):
            org_territory = session.scalar(
                select(Territory).where(Territory.code == org_info["territory_code"])
            )
        organisation = upsert_organisation(
            session, name=org_info["name"], kind=OrganisationKind(org_info["kind"]), territory=org_territory
        )
        values: dict[str, Any] = {k: raw.get(k) for k in SCALARS}
        for section in ("context", "solution", "results", "resources", "transferability"):
            values[section] = values[section] or ""
        values.update(
            status=ProjectStatus(raw["status"]),
            started_on=date.fromisoformat(raw["started_on"]) if raw.get("started_on") else None,
            ended_on=date.fromisoformat(raw["ended_on"]) if raw.get("ended_on") else None,
            publication_state=PublicationState.published,
            licence=raw.get("licence") or "etalab-2.0",
            attribution="Retex (texte de démonstration)",
            note=raw.get("demo_note"),
        )
        upsert_case(
            session,
            existing,
            SeedCase(
                external_key=f"retex-demo:{raw['slug']}",
                values=values,
                preferred_slug=raw["slug"],
                themes=[themes[s] for s in raw["themes"]],
                territories=territories,
                software=[_software(session, name) for name in raw.get("software", [])],
                organisation=organisation,
                links=[(link["label"], link["url"]) for link in raw.get("links", [])],
            ),
            report,
        )
    return report
