"""Experiences of départements that run a public service on free software, from the SILL's list of services
(codegouvfr/sill-api, 2022, Licence Ouverte 2.0): the rows of the « Local governments » sector whose agency is
a département (« CD06 », « CD69 »…: the Conseil départemental of that number). Today these are the notaries'
portals built on Départements & Notaires; the description of that software comes from its own code forge
(seeds/public_code.py). Every sentence is read from those two sources."""

from __future__ import annotations

import csv
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.anct import existing_cases
from seeds.cases import SeedCase, upsert_case
from seeds.organisations import upsert_organisation
from seeds.paths import SILL_DIR
from seeds.report import StepReport
from service.casestudies.models import ProjectStatus, PublicationState
from service.organisations.models import OrganisationKind
from service.publiccode.models import CodeForge
from service.territories.articles import departement_label
from service.territories.models import Territory, TerritoryKind
from service.themes.models import Theme

LICENCE = "etalab-2.0"
ATTRIBUTION = "DINUM — Socle interministériel de logiciels libres (SILL), liste des services"
SOURCE_URL = (
    "https://github.com/codegouvfr/sill-api/blob/4b8b1808735e1ba892a835607db4719519f3bd43/"
    "data/services/services.csv"
)
THEMES = ("services-en-ligne", "logiciels-libres")
_DEPARTEMENT = re.compile(r"^CD(\d[\dAB])$")
# The software's own forge describes it (public-code/organisations.csv).
FORGE_OF = {"Départements & Notaires": "departements-notaires"}


def _rows() -> list[dict[str, str]]:
    with (SILL_DIR / "services.csv").open(encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["public_sector"] == "Local governments"]


def service_values(raw: dict[str, str], label: str, forge: CodeForge | None) -> dict[str, Any]:
    name, software = raw["service_name"].strip(), raw["software_name"].strip()
    scope = raw["usage_scope"].strip()
    summary = f"Le {label} ouvre le service « {name} », construit sur le logiciel libre {software}"
    summary += f", aux {scope[0].lower()}{scope[1:]}." if scope else "."
    context = ""
    if forge is not None and forge.description:
        context = f"{software}, selon sa forge de code : « {forge.description} »"
    facts = []
    if raw["publication_date"]:
        facts.append(f"Service ouvert en {raw['publication_date']}")
    if raw["last_update_date"] and raw["last_update_date"] != raw["publication_date"]:
        facts.append(f"mis à jour en {raw['last_update_date']}")
    solution = ", ".join(facts) + "." if facts else ""
    if raw["signup_scope"]:
        solution += f" Inscription : {raw['signup_scope'].strip()}"
        if raw["signup_validation_method"]:
            solution += f", validée par le {raw['signup_validation_method'].strip()}"
        solution += "."
    resources = []
    if raw["service_url"]:
        resources.append(f"[Le service]({raw['service_url']})")
    if forge is not None:
        resources.append(f"[Code source de {software}]({forge.url})")
    return {
        "title": f"{label} : {name.lower() if name == 'Portail Notaire' else name} ({software})",
        "summary": summary,
        "context": context,
        "solution": solution.strip(),
        "results": "",
        "resources": "\n\n".join(resources),
        "transferability": "",
        "status": ProjectStatus.deployed,
        "started_on": None,
        "ended_on": None,
        "publication_state": PublicationState.published,
        "licence": LICENCE,
        "attribution": ATTRIBUTION,
        "source_url": SOURCE_URL,
        "note": "Fiche établie à partir de la liste des services publics du SILL (2022).",
    }


def seed_sill_services(session: Session) -> StepReport:
    report = StepReport("cases (services SILL)")
    existing = existing_cases(session, ("sill",))
    themes = list(session.scalars(select(Theme).where(Theme.slug.in_(THEMES))))
    forges = {f.login: f for f in session.scalars(select(CodeForge))}
    departements = {
        t.departement_code: t
        for t in session.scalars(select(Territory).where(Territory.kind == TerritoryKind.departement))
    }
    for raw in _rows():
        match = _DEPARTEMENT.match(raw["agency_name"].strip())
        departement = departements.get(match.group(1)) if match else None
        if departement is None:
            continue
        label = departement_label(departement.name)
        organisation = upsert_organisation(
            session, name=label, kind=OrganisationKind.collectivite, territory=departement
        )
        forge = forges.get(FORGE_OF.get(raw["software_name"].strip(), ""))
        links = [("Service", raw["service_url"])] if raw["service_url"] else []
        if raw["agency_url"]:
            links.append((label, raw["agency_url"]))
        upsert_case(
            session,
            existing,
            SeedCase(
                external_key=f"sill:{raw['id']}",
                values=service_values(raw, label, forge),
                preferred_slug=f"portail-notaires-{departement.departement_code}"
                if raw["service_name"].strip() == "Portail Notaire"
                else f"service-{raw['id']}",
                themes=themes,
                territories=[departement],
                organisation=organisation,
                links=links,
            ),
            report,
        )
    return report
