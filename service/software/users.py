"""« Qui d'autre utilise X ? »: organisations that declare the software (SILL services) and those
whose published cases cite it, each with its territory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, PublicationState, case_software
from service.organisations.models import Organisation
from service.software.models import Software, SoftwareUsage


@dataclass
class SoftwareUser:
    organisation: Organisation
    services: list[str] = field(default_factory=list)  # named services (SILL), if any
    case_ids: list[int] = field(default_factory=list)  # its published cases citing the software

    @property
    def via(self) -> list[Literal["usage", "case"]]:
        via: list[Literal["usage", "case"]] = []
        if self.services or not self.case_ids:
            via.append("usage")
        if self.case_ids:
            via.append("case")
        return via


def software_users(session: Session, software: Software) -> list[SoftwareUser]:
    users: dict[int, SoftwareUser] = {}
    usages = session.scalars(select(SoftwareUsage).where(SoftwareUsage.software_id == software.id))
    for usage in usages:
        user = users.setdefault(usage.organisation_id, SoftwareUser(usage.organisation))
        if usage.service_name and usage.service_name not in user.services:
            user.services.append(usage.service_name)
    cases = session.execute(
        select(CaseStudy.id, CaseStudy.organisation_id)
        .join(case_software, case_software.c.case_study_id == CaseStudy.id)
        .where(
            case_software.c.software_id == software.id,
            CaseStudy.publication_state == PublicationState.published,
            CaseStudy.organisation_id.is_not(None),
        )
        .order_by(CaseStudy.id)
    ).all()
    if cases:
        orgs = {
            o.id: o
            for o in session.scalars(select(Organisation).where(Organisation.id.in_({o for _, o in cases})))
        }
        for case_id, org_id in cases:
            if org_id is None:  # excluded by the query; keeps the type checker informed
                continue
            users.setdefault(org_id, SoftwareUser(orgs[org_id])).case_ids.append(case_id)
    return sorted(users.values(), key=lambda u: u.organisation.name.lower())
