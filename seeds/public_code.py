"""Code forges of local authorities and their repositories (etalab/data-codes-sources-fr, 2021).

Each forge belongs to the organisation of its local authority (`collectivites.csv`, written by hand from
the source's `collectivite` column: the authority's name and the code of its territory). A repository is
linked to a software of the catalogue when its name is the software's name (accent-free), or else when
the forge's name holds a software's name as a whole word of four letters or more (« LUTECE Secteur
Public » publishes Lutèce). Forks are linked too, but do not make their forge a publisher."""

from __future__ import annotations

import csv
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.organisations import upsert_organisation
from seeds.paths import PUBLIC_CODE_DIR
from seeds.report import StepReport
from seeds.upsert import upsert_rows
from service.organisations.models import OrganisationKind
from service.publiccode.models import CodeForge, CodeRepository
from service.software.models import Software
from service.territories.models import Territory
from service.textkeys import fold

SOURCE_NAME = "DINUM / Etalab — data-codes-sources-fr"
LICENCE = "Licence Ouverte 2.0"
ATTRIBUTION = "DINUM / Etalab — data-codes-sources-fr, Licence Ouverte 2.0"
SOURCE_DATE = "2021-11-15"
SOURCE_URL = (
    "https://github.com/etalab/data-codes-sources-fr/tree/4db03241ec3cd125b452635e6d21ff8e17dd7a48/data"
)
MIN_WORD = 4


def _read(name: str) -> list[dict[str, str]]:
    with (PUBLIC_CODE_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _provenance() -> dict[str, str]:
    return {
        "source_name": SOURCE_NAME,
        "source_licence": LICENCE,
        "source_attribution": ATTRIBUTION,
        "source_date": SOURCE_DATE,
        "source_url": SOURCE_URL,
    }


def seed_public_code(session: Session) -> tuple[StepReport, StepReport]:
    forges_report = StepReport("code forges")
    repos_report = StepReport("code repositories")
    authorities = {r["login"]: r for r in _read("collectivites.csv")}
    software = {fold(name): id_ for id_, name in session.execute(select(Software.id, Software.name))}
    forge_rows: list[dict[str, Any]] = []
    forge_software: dict[str, int | None] = {}
    for r in _read("organisations.csv"):
        authority = authorities[r["login"]]
        code = authority["territory_code"]
        territory = session.scalar(select(Territory).where(Territory.code == code)) if code else None
        org = upsert_organisation(
            session,
            name=authority["organisation"],
            kind=OrganisationKind.collectivite,
            territory=territory,
        )
        words = fold(f"{r['login']} {r['name']}").split()
        forge_software[r["login"]] = next(
            (software[w] for w in words if len(w) >= MIN_WORD and w in software), None
        )
        forge_rows.append(
            {
                "login": r["login"],
                "name": r["name"].strip() or r["login"],
                "description": " ".join(r["description"].split()),
                "url": r["organization_url"],
                "website": r["website"].strip() or None,
                "platform": r["platform"],
                "organisation_id": org.id,
                **_provenance(),
            }
        )
    forge_ids = upsert_rows(session, CodeForge, CodeForge.login, forge_rows, forges_report)
    repo_rows: list[dict[str, Any]] = []
    for r in _read("repositories.csv"):
        login = r["organization_name"]
        if login not in forge_ids or not r["repository_url"].startswith("https://"):
            continue
        repo_rows.append(
            {
                "url": r["repository_url"],
                "forge_id": forge_ids[login],
                "name": r["name"],
                "description": " ".join(r["description"].split()),
                "language": r["language"] or None,
                "licence": r["license"] or None,
                "created_on": r["creation_date"][:10] or None,
                "updated_on": r["last_update"][:10] or None,
                "is_fork": r["is_fork"] == "True",
                "is_archived": r["is_archived"] == "True",
                "stars": int(r["stars_count"] or 0),
                "software_id": software.get(fold(r["name"])) or forge_software.get(login),
                **_provenance(),
            }
        )
    upsert_rows(session, CodeRepository, CodeRepository.url, repo_rows, repos_report)
    return forges_report, repos_report
