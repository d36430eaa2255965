"""`retex seed`: every seed step in order, in one transaction, with a progress bar and a report."""

from __future__ import annotations

from collections.abc import Callable

from rich.progress import Progress
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from seeds.anct import load_investigations, seed_anct
from seeds.bal import load_testimonies, seed_bal_testimonies
from seeds.bal_charter import seed_bal_charter
from seeds.betagouv import seed_betagouv
from seeds.collections import seed_collections
from seeds.contests import seed_contests
from seeds.demo_cases import seed_demo_cases
from seeds.events import seed_events
from seeds.forge_cases import seed_forge_cases
from seeds.funded_projects import count_rows, seed_funded_projects
from seeds.links import seed_links
from seeds.pooling import seed_pooling
from seeds.public_code import seed_public_code
from seeds.report import StepReport
from seeds.sill_services import seed_sill_services
from seeds.software import seed_software, seed_software_usages
from seeds.territories import count_communes, seed_territories
from seeds.themes import seed_themes
from service.casestudies.models import CaseStudy
from service.organisations.models import Organisation


def seed_all(session: Session, progress: Progress | None = None) -> list[StepReport]:
    def advance_fn(total: int, label: str) -> Callable[[int], None] | None:
        if progress is None:
            return None
        task = progress.add_task(label, total=total)
        return lambda n: progress.advance(task, n)

    orgs_before = session.scalar(select(func.count(Organisation.id))) or 0
    reports = [seed_themes(session)]
    reports.append(seed_territories(session, advance_fn(count_communes() + 1_401, "Territoires")))
    reports.append(seed_software(session))
    reports.append(seed_software_usages(session))
    reports.append(seed_betagouv(session, advance_fn(662, "Expériences beta.gouv.fr")))
    reports.append(seed_anct(session, advance_fn(len(load_investigations()), "Investigations ANCT")))
    reports.append(seed_bal_testimonies(session, advance_fn(len(load_testimonies()), "Témoignages BAL")))
    reports.append(seed_demo_cases(session))
    reports.append(seed_events(session))
    reports.append(seed_contests(session))
    reports.append(seed_collections(session))
    reports.append(seed_funded_projects(session, advance_fn(count_rows(), "Projets financés (DGCL)")))
    reports.append(seed_pooling(session))
    reports.extend(seed_public_code(session))
    # Experiences read from the records above: pooling offers, code forges, départements' services.
    reports.append(seed_bal_charter(session))
    reports.append(seed_forge_cases(session))
    reports.append(seed_sill_services(session))
    seeded = session.scalar(select(func.count(CaseStudy.id)).where(CaseStudy.external_key.is_not(None))) or 0
    reports.append(seed_links(session, advance_fn(seeded, "Liens détectés (territoires, thèmes, logiciels)")))
    orgs_after = session.scalar(select(func.count(Organisation.id))) or 0
    org_report = StepReport("organisations", inserted=orgs_after - orgs_before, unchanged=orgs_before)
    reports.insert(1, org_report)
    return reports
