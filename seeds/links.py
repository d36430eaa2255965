"""Read every seeded experience's text once imports are done: territories the gazetteer linker finds
("détecté dans le texte", with a confidence), themes suggested for cases without any, software of the
catalogue named in the text, and the completeness score. Idempotent: a second run changes nothing."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.report import StepReport
from service.casestudies.links import refresh_detected
from service.casestudies.models import CaseStudy


def seed_links(session: Session, on_progress: Callable[[int], None] | None = None) -> StepReport:
    report = StepReport("detected links")
    cases = list(
        session.scalars(select(CaseStudy).where(CaseStudy.external_key.is_not(None)).order_by(CaseStudy.id))
    )
    for case in cases:
        if refresh_detected(session, case):
            report.updated += 1
        else:
            report.unchanged += 1
        if on_progress:
            on_progress(1)
    session.flush()
    return report
