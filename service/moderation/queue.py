"""What moderators have to review: the cases submitted for publication and the pending revisions of
published cases, oldest first."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, PublicationState
from service.moderation.models import CaseRevision
from service.moderation.revisions import pending_queue_statement


def submitted_statement() -> Select[CaseStudy]:
    """The cases submitted for publication, to page through by id."""
    return select(CaseStudy).where(CaseStudy.publication_state == PublicationState.submitted)


def submitted_cases(db: Session) -> list[CaseStudy]:
    return list(db.scalars(submitted_statement().order_by(CaseStudy.id)))


def pending_revisions(db: Session) -> list[CaseRevision]:
    return list(db.scalars(pending_queue_statement().order_by(CaseRevision.id)))
