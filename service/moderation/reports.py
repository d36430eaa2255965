"""« Signaler ce contenu »: any logged-in member reports a case or a post; moderators uphold the
report (the content is withdrawn or hidden) or dismiss it."""

from __future__ import annotations

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from service.api.errors import ConflictError, InvalidFieldError, NotFoundError
from service.api.text import visible_length
from service.authz.permissions import Action, authorize, can
from service.authz.principal import Principal
from service.casestudies.models import CaseStudy, PublicationState
from service.db.base import utcnow
from service.discussions.models import Post, Thread
from service.moderation.models import Report, ReportStatus, ReportTarget
from service.moderation.workflow import change_state

MAX_REASON = 2000


AUTO_HIDE_REPORTS = 3  # distinct members reporting the same post hide it until a moderator decides
PENDING_REVIEW = "Masqué après plusieurs signalements, en attente de modération."


def _target_exists(db: Session, principal: Principal, target_type: ReportTarget, target_id: int) -> bool:
    if target_type is ReportTarget.case_study:
        case = db.get(CaseStudy, target_id)
        return case is not None and case.publication_state is PublicationState.published
    post = db.get(Post, target_id)
    if post is None or post.deleted_at is not None:
        return False
    thread = db.get(Thread, post.thread_id)
    return thread is not None and can(principal, Action.read_thread, thread=thread)


def _hide_if_reported_enough(db: Session, post_id: int) -> None:
    reporters = db.scalar(
        select(func.count(distinct(Report.reporter_id))).where(
            Report.target_type == ReportTarget.post,
            Report.target_id == post_id,
            Report.status == ReportStatus.open,
        )
    )
    post = db.get(Post, post_id)
    if post is not None and not post.is_hidden and (reporters or 0) >= AUTO_HIDE_REPORTS:
        post.is_hidden = True
        post.hidden_reason = PENDING_REVIEW


def create_report(
    db: Session, *, principal: Principal, target_type: ReportTarget, target_id: int, reason: str
) -> Report:
    authorize(principal, Action.report)
    # What one may not read does not exist, whatever else is wrong with the request: checked before
    # the reason, so that no answer (nor the web form's redirect) depends on content one cannot see.
    if not _target_exists(db, principal, target_type, target_id):
        raise NotFoundError("Ce contenu n'existe pas ou n'est plus visible.")
    reason = reason.strip()
    if visible_length(reason) < 5:  # five visible characters (the API schema says the same)
        raise InvalidFieldError("dites en quelques mots ce qui pose problème", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidFieldError(f"{MAX_REASON} caractères au plus", field="reason")
    already = db.scalar(
        select(Report).where(
            Report.target_type == target_type,
            Report.target_id == target_id,
            Report.reporter_id == principal.user_id,
            Report.status == ReportStatus.open,
        )
    )
    if already is not None:
        raise ConflictError("Vous avez déjà signalé ce contenu : les modérateurs vont l'examiner.")
    report = Report(
        target_type=target_type, target_id=target_id, reporter_id=principal.user_id, reason=reason
    )
    db.add(report)
    db.flush()
    if target_type is ReportTarget.post:
        _hide_if_reported_enough(db, target_id)
        db.flush()
    return report


def open_reports(db: Session, *, principal: Principal, limit: int = 100) -> list[Report]:
    authorize(principal, Action.handle_reports)
    return list(
        db.scalars(select(Report).where(Report.status == ReportStatus.open).order_by(Report.id).limit(limit))
    )


def resolve_report(
    db: Session, *, report: Report, principal: Principal, uphold: bool, note: str, public_url: str
) -> Report:
    authorize(principal, Action.handle_reports)
    if report.status is not ReportStatus.open:
        raise ConflictError("Ce signalement est déjà traité.")
    note = note.strip()
    if uphold:
        if report.target_type is ReportTarget.case_study:
            case = db.get(CaseStudy, report.target_id)
            if case is not None and case.publication_state is PublicationState.published:
                reason = note if len(note) >= 10 else f"Retirée après un signalement : {report.reason}"
                change_state(
                    db,
                    case=case,
                    to=PublicationState.rejected,
                    actor=principal,
                    reason=reason,
                    public_url=public_url,
                )
        else:
            authorize(principal, Action.hide_posts)
            post = db.get(Post, report.target_id)
            if post is not None:
                post.is_hidden = True
                post.hidden_reason = note[:MAX_REASON] or "Masqué par la modération."
    elif report.target_type is ReportTarget.post:
        post = db.get(Post, report.target_id)
        if post is not None and post.hidden_reason == PENDING_REVIEW:  # reports were unfounded
            post.is_hidden, post.hidden_reason = False, None
    # One decision answers every open report on the same content.
    same_target = db.scalars(
        select(Report).where(
            Report.target_type == report.target_type,
            Report.target_id == report.target_id,
            Report.status == ReportStatus.open,
        )
    ).all()
    for each in {report, *same_target}:
        each.status = ReportStatus.upheld if uphold else ReportStatus.dismissed
        each.resolved_at = utcnow()
        each.resolved_by_id = principal.user_id
        each.resolution_note = note[:MAX_REASON] or None
    db.flush()
    return report
