"""SILL software (2022 snapshot) and the public services that run them."""

from __future__ import annotations

import csv
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.organisations import upsert_organisation
from seeds.paths import SILL_DIR
from seeds.report import StepReport
from seeds.upsert import upsert_rows
from service.organisations.models import OrganisationKind
from service.software.models import Software, SoftwareUsage
from service.textkeys import slugify

SECTOR_KINDS = {"Local governments": OrganisationKind.collectivite}


def _int(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() else None


def seed_software(session: Session) -> StepReport:
    report = StepReport("software (SILL)")
    with (SILL_DIR / "software.csv").open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    rows: list[dict[str, Any]] = []
    seen_slugs: set[str] = set()
    for r in records:
        slug = slugify(r["nom"])
        if slug in seen_slugs:
            slug = f"{slug}-{r['ID']}"
        seen_slugs.add(slug)
        rows.append(
            {
                "sill_id": int(r["ID"]),
                "slug": slug,
                "name": r["nom"].strip(),
                "description": r["fonction"].strip(),
                "licence": r["licence"].strip() or None,
                "comptoir_id": _int(r["comptoir-du-libre"]),
                "wikidata_id": r["wikidata"].strip() or None,
            }
        )
    upsert_rows(session, Software, Software.sill_id, rows, report)
    return report


def seed_software_usages(session: Session) -> StepReport:
    report = StepReport("software usages")
    by_sill = {sill_id: id_ for sill_id, id_ in session.execute(select(Software.sill_id, Software.id))}
    with (SILL_DIR / "services.csv").open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    existing = {
        (u.software_id, u.organisation_id, u.service_name): u for u in session.scalars(select(SoftwareUsage))
    }
    for r in records:
        software_id = by_sill.get(_int(r["software_sill_id"]) or -1)
        if software_id is None or not r["agency_name"].strip():
            continue
        org = upsert_organisation(
            session,
            name=r["agency_name"].strip(),
            kind=SECTOR_KINDS.get(r["public_sector"], OrganisationKind.state),
            website=r["agency_url"].strip() or None,
        )
        key = (software_id, org.id, r["service_name"].strip())
        values = {"service_url": r["service_url"].strip() or None, "description": r["description"].strip()}
        usage = existing.get(key)
        if usage is None:
            usage = SoftwareUsage(software_id=key[0], organisation_id=key[1], service_name=key[2], **values)
            session.add(usage)
            existing[key] = usage
            report.inserted += 1
        elif any(getattr(usage, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(usage, k, v)
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    return report
