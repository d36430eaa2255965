"""/api/v1: moving a case through the moderation workflow, its history, the review queue, reports."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select

from service.api.auth import AppSettings, CurrentPrincipal
from service.api.errors import NotFoundError
from service.api.idempotency import IdempotentRoute
from service.api.ids import CaseId, ReportId, RevisionId
from service.api.pagination import Cursor, Limit, Page, keyset_page
from service.authz.cases import readable_case
from service.authz.permissions import Action, authorize, can
from service.casestudies.models import CaseStudy
from service.casestudies.schemas import CaseStudyOut, CaseStudySummary
from service.db.session import DbSession
from service.moderation import queue, reports, revisions, workflow
from service.moderation.models import CaseRevision, CaseStateChange, Report, ReportStatus
from service.moderation.schemas import (
    ReportIn,
    ReportOut,
    ReportResolution,
    RevisionDecisionIn,
    RevisionOut,
    StateChangeOut,
    TransitionIn,
)

router = APIRouter(tags=["moderation"], route_class=IdempotentRoute)


@router.post(
    "/case-studies/{case_id}/transitions",
    response_model=CaseStudyOut,
    summary="Faire avancer une expérience dans le circuit de modération",
    description="brouillon → soumise (auteurs) → publiée ou refusée avec motif (modérateurs) → archivée.",
)
def transition(
    db: DbSession, settings: AppSettings, principal: CurrentPrincipal, case_id: CaseId, data: TransitionIn
) -> CaseStudyOut:
    case = readable_case(db, principal, case_id=case_id)
    workflow.change_state(
        db, case=case, to=data.to, actor=principal, reason=data.reason, public_url=settings.public_url
    )
    return CaseStudyOut.model_validate(case)


@router.get(
    "/case-studies/{case_id}/history",
    response_model=Page[StateChangeOut],
    summary="Historique de publication (auteurs et modérateurs)",
)
def case_history(
    db: DbSession, principal: CurrentPrincipal, case_id: CaseId, limit: Limit = 20, cursor: Cursor = None
) -> Page[StateChangeOut]:
    case = readable_case(db, principal, case_id=case_id)
    if not can(principal, Action.review_cases):
        authorize(principal, Action.edit_case, case=case)
    stmt = select(CaseStateChange).where(CaseStateChange.case_study_id == case.id)
    return keyset_page(db, stmt, CaseStateChange.id, limit=limit, cursor=cursor, to_item=_change_out)


def _change_out(c: CaseStateChange) -> StateChangeOut:
    return StateChangeOut(
        from_state=c.from_state,
        to_state=c.to_state,
        actor=c.actor.display_name if c.actor else None,
        reason=c.reason,
        created_at=c.created_at,
        event=c.event,
        revision_id=c.revision_id,
    )


def _revision_out(r: CaseRevision) -> RevisionOut:
    return RevisionOut(
        id=r.id,
        case_study_id=r.case_study_id,
        status=r.status,
        author=r.author.display_name if r.author else None,
        changes=r.changes,
        previous=r.previous,
        created_at=r.created_at,
        decided_at=r.decided_at,
        decided_by=r.decided_by.display_name if r.decided_by else None,
        reason=r.reason,
    )


@router.get(
    "/case-studies/{case_id}/revisions",
    response_model=Page[RevisionOut],
    summary="Modifications d'une expérience (auteurs et modérateurs)",
    description="Chaque modification, appliquée directement ou relue ; la version en attente se lit avec "
    "`GET /case-studies/{id}?version=pending`.",
)
def case_revisions(
    db: DbSession, principal: CurrentPrincipal, case_id: CaseId, limit: Limit = 20, cursor: Cursor = None
) -> Page[RevisionOut]:
    case = readable_case(db, principal, case_id=case_id)
    if not can(principal, Action.review_cases):
        authorize(principal, Action.edit_case, case=case)
    stmt = select(CaseRevision).where(CaseRevision.case_study_id == case.id)
    return keyset_page(db, stmt, CaseRevision.id, limit=limit, cursor=cursor, to_item=_revision_out)


@router.get(
    "/moderation/revisions",
    response_model=Page[RevisionOut],
    summary="Modifications d'expériences publiées à relire (modérateurs)",
)
def revision_queue(
    db: DbSession, principal: CurrentPrincipal, limit: Limit = 20, cursor: Cursor = None
) -> Page[RevisionOut]:
    authorize(principal, Action.review_cases)
    stmt = revisions.pending_queue_statement()
    return keyset_page(db, stmt, CaseRevision.id, limit=limit, cursor=cursor, to_item=_revision_out)


@router.post(
    "/case-studies/{case_id}/revisions/{revision_id}/decision",
    response_model=RevisionOut,
    summary="Approuver ou refuser une modification (modérateurs)",
    description="Approuvée, elle est appliquée et atteint les lecteurs ; refusée, ses auteurs reçoivent le "
    "motif (10 caractères au moins).",
)
def decide_revision(
    db: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    case_id: CaseId,
    revision_id: RevisionId,
    data: RevisionDecisionIn,
) -> RevisionOut:
    authorize(principal, Action.review_cases)
    revision = db.get(CaseRevision, revision_id)
    if revision is None or revision.case_study_id != case_id:
        raise NotFoundError(f"Aucune modification n° {revision_id} pour l'expérience n° {case_id}.")
    revisions.decide(
        db,
        revision=revision,
        actor=principal,
        approve=data.decision == "approved",
        reason=data.reason,
        public_url=settings.public_url,
        max_section_chars=settings.max_section_chars,
    )
    return _revision_out(revision)


@router.get(
    "/moderation/queue", response_model=Page[CaseStudySummary], summary="Expériences à relire (modérateurs)"
)
def review_queue(
    db: DbSession, principal: CurrentPrincipal, limit: Limit = 20, cursor: Cursor = None
) -> Page[CaseStudySummary]:
    authorize(principal, Action.review_cases)
    return keyset_page(
        db,
        queue.submitted_statement(),
        CaseStudy.id,
        limit=limit,
        cursor=cursor,
        to_item=CaseStudySummary.model_validate,
    )


@router.post(
    "/reports", response_model=ReportOut, status_code=status.HTTP_201_CREATED, summary="Signaler un contenu"
)
def create_report(db: DbSession, principal: CurrentPrincipal, data: ReportIn) -> ReportOut:
    report = reports.create_report(
        db, principal=principal, target_type=data.target_type, target_id=data.target_id, reason=data.reason
    )
    return ReportOut.model_validate(report)


@router.get("/reports", response_model=Page[ReportOut], summary="Signalements ouverts (modérateurs)")
def list_reports(
    db: DbSession, principal: CurrentPrincipal, limit: Limit = 20, cursor: Cursor = None
) -> Page[ReportOut]:
    authorize(principal, Action.handle_reports)
    stmt = select(Report).where(Report.status == ReportStatus.open)
    return keyset_page(db, stmt, Report.id, limit=limit, cursor=cursor, to_item=ReportOut.model_validate)


@router.post(
    "/reports/{report_id}/resolution",
    response_model=ReportOut,
    summary="Traiter un signalement (modérateurs)",
)
def resolve_report(
    db: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    report_id: ReportId,
    data: ReportResolution,
) -> ReportOut:
    authorize(principal, Action.handle_reports)
    report = db.get(Report, report_id)
    if report is None:
        raise NotFoundError(f"Aucun signalement n° {report_id}.")
    reports.resolve_report(
        db,
        report=report,
        principal=principal,
        uphold=data.decision == "upheld",
        note=data.note,
        public_url=settings.public_url,
    )
    return ReportOut.model_validate(report)
