"""Edits of case studies, and the review of edits of published cases.

An edit of a **published** case by its organisation's members (or its author) is a pending revision:
the case row — what pages, the API, the search index, feeds and exports read — keeps the published
text until a moderator approves the revision (it is then applied) or rejects it with a reason the
authors receive by e-mail. The authors keep editing their pending version (each new edit replaces it:
the previous one is `superseded`).

Moderators and administrators edit a published case at once: they are the reviewers, and a second
moderator's approval would only add a queue. Their edits are still recorded like every other one, so
no change of a public text is silent: every edit — applied at once (drafts, moderators) or reviewed —
is a `CaseRevision` row (the fields it changes and their previous values) and an entry in the case
history (service/moderation/workflow.py `history`)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.accounts.models import Role
from service.api.errors import ConflictError, InvalidFieldError
from service.api.text import visible_length
from service.authz.permissions import Action, authorize, can
from service.authz.principal import Principal
from service.casestudies import service
from service.casestudies.models import SECTIONS, CaseStudy, PublicationState
from service.casestudies.schemas import CaseStudyOut, CaseStudyUpdate, LinkOut
from service.db.base import utcnow
from service.emails.outbox import queue_email
from service.moderation import alerts
from service.moderation.models import CaseRevision, CaseStateChange, HistoryEvent, RevisionStatus
from service.moderation.workflow import MIN_REASON, recipients
from service.organisations.schemas import OrganisationRef
from service.software.schemas import SoftwareRef
from service.territories.schemas import TerritoryRef
from service.themes.schemas import ThemeOut

# The fields an edit may change, in the API's PATCH vocabulary and in reading order.
EDITABLE: tuple[str, ...] = (
    "title", "summary", *SECTIONS, "budget_eur", "staff_fte", "funding", "procurement_route", "partners",
    "status", "started_on", "ended_on", "themes", "territory_codes", "software_ids", "organisation_id",
    "links", "licence",
)  # fmt: skip
STATUS_LABELS = {
    RevisionStatus.pending: "en attente de relecture",
    RevisionStatus.approved: "approuvée",
    RevisionStatus.rejected: "refusée",
    RevisionStatus.superseded: "remplacée par une modification plus récente",
    RevisionStatus.applied: "appliquée",
}


def snapshot(case: CaseStudy) -> dict[str, Any]:
    """The case's editable fields as JSON values, in the vocabulary of a PATCH."""
    return {
        "title": case.title,
        "summary": case.summary,
        **{name: getattr(case, name) or "" for name in SECTIONS},
        "budget_eur": case.budget_eur,
        "staff_fte": case.staff_fte,
        "funding": case.funding,
        "procurement_route": case.procurement_route,
        "partners": case.partners,
        "status": case.status.value,
        "started_on": case.started_on.isoformat() if case.started_on else None,
        "ended_on": case.ended_on.isoformat() if case.ended_on else None,
        "themes": [t.slug for t in case.themes],
        "territory_codes": [t.code for t in case.territories],
        "software_ids": [s.id for s in case.software],
        "organisation_id": case.organisation_id,
        "links": [{"label": link.label, "url": link.url} for link in case.links],
        "licence": case.licence,
    }


def needs_review(principal: Principal, case: CaseStudy) -> bool:
    return case.publication_state is PublicationState.published and not principal.has_role(
        Role.moderator, Role.admin
    )


def pending_revision(db: Session, case: CaseStudy) -> CaseRevision | None:
    return db.scalar(
        select(CaseRevision)
        .where(CaseRevision.case_study_id == case.id, CaseRevision.status == RevisionStatus.pending)
        .order_by(CaseRevision.id.desc())
        .limit(1)
    )


def pending_for(db: Session, principal: Principal, case: CaseStudy) -> CaseRevision | None:
    """The pending revision, for those who may see it (its authors' organisation and moderators)."""
    if not (can(principal, Action.edit_case, case=case) or can(principal, Action.review_cases)):
        return None
    return pending_revision(db, case)


def pending_queue_statement() -> Select[CaseRevision]:
    return select(CaseRevision).where(CaseRevision.status == RevisionStatus.pending)


def _history(
    db: Session,
    case: CaseStudy,
    actor: Principal,
    event: HistoryEvent,
    revision: CaseRevision,
    reason: str | None = None,
) -> None:
    state = case.publication_state
    db.add(
        CaseStateChange(
            case_study_id=case.id,
            from_state=state,
            to_state=state,
            actor_id=actor.user_id,
            reason=reason,
            event=event,
            revision_id=revision.id,
        )
    )


def _normalised(checked: service.CheckedUpdate, data: CaseStudyUpdate) -> dict[str, Any]:
    """What the edit sends, as JSON values comparable with `snapshot` (codes normalised, duplicates
    dropped, the way the case would store them)."""
    sent = data.model_dump(mode="json", exclude_unset=True)
    sent.pop("publication_state", None)
    if checked.themes is not None:
        sent["themes"] = [t.slug for t in checked.themes]
    if checked.territories is not None:
        sent["territory_codes"] = [t.code for t in checked.territories]
    if checked.software is not None:
        sent["software_ids"] = [s.id for s in checked.software]
    return sent


def record_edit(
    db: Session,
    *,
    case: CaseStudy,
    principal: Principal,
    data: CaseStudyUpdate,
    max_section_chars: int,
    public_url: str,
) -> CaseRevision | None:
    """Apply an edit, or keep it for review when it changes a published case; None if it changes
    nothing. Every check runs now, so a revision waiting for review is a valid edit. The moderators
    are told of a new proposal (not of each later edit of the same pending version)."""
    checked = service.check_update(db, case=case, data=data, max_section_chars=max_section_chars)
    current = snapshot(case)
    wanted = _normalised(checked, data)
    review = needs_review(principal, case)
    pending = pending_revision(db, case) if review else None
    if pending is not None:
        wanted = pending.changes | wanted  # the authors build on their own pending version
    changes = {name: value for name, value in wanted.items() if current.get(name) != value}
    if pending is not None:
        if changes == pending.changes:
            return pending  # saved again without a change
        pending.status = RevisionStatus.superseded
        pending.decided_at = utcnow()
    db.flush()
    if not changes:
        return None
    revision = CaseRevision(
        case_study_id=case.id,
        author_id=principal.user_id,
        status=RevisionStatus.pending if review else RevisionStatus.applied,
        changes=changes,
        previous={name: current.get(name) for name in changes},
    )
    try:
        with db.begin_nested():  # one pending revision per case (unique index): a racing edit loses
            db.add(revision)
    except IntegrityError as exc:
        raise ConflictError(
            "Une autre modification de cette expérience vient d'être enregistrée : rechargez-la et "
            "recommencez."
        ) from exc
    if not review:
        service.update_case(db, case=case, data=data, max_section_chars=max_section_chars)
    db.flush()
    _history(db, case, principal, HistoryEvent.revision_proposed if review else HistoryEvent.edit, revision)
    if review and pending is None:
        alerts.revision_proposed(db, case=case, revision=revision, author=principal, public_url=public_url)
    db.flush()
    return revision


def decide(
    db: Session,
    *,
    revision: CaseRevision,
    actor: Principal,
    approve: bool,
    reason: str | None,
    public_url: str,
    max_section_chars: int,
) -> CaseRevision:
    """A moderator approves (the edit is applied and reaches readers) or rejects (with a reason, sent to
    the authors like a refused case). Either way it is in the history and the authors are told."""
    authorize(actor, Action.review_cases)
    if revision.status is not RevisionStatus.pending:
        raise ConflictError(f"Cette modification est déjà {STATUS_LABELS[revision.status]}.")
    case = db.get(CaseStudy, revision.case_study_id)
    assert case is not None  # revisions go with their case (ON DELETE CASCADE)
    reason = (reason or "").strip() or None
    if not approve and visible_length(reason or "") < MIN_REASON:
        raise InvalidFieldError(
            f"expliquez le refus à l'auteur ({MIN_REASON} caractères au moins) : il le recevra",
            field="reason",
        )
    if approve:
        try:
            data = CaseStudyUpdate.model_validate(revision.changes)
        except ValidationError as exc:  # stored by an older version of the rules
            raise InvalidFieldError("cette modification n'est plus valable : refusez-la") from exc
        service.update_case(db, case=case, data=data, max_section_chars=max_section_chars)
    revision.status = RevisionStatus.approved if approve else RevisionStatus.rejected
    revision.decided_at = utcnow()
    revision.decided_by_id = actor.user_id
    revision.reason = reason
    event = HistoryEvent.revision_approved if approve else HistoryEvent.revision_rejected
    _history(db, case, actor, event, revision, reason)
    verdict = "approuvée : elle est en ligne" if approve else "refusée"
    link = f"{public_url.rstrip('/')}/experiences/{case.slug}"
    why = f"\nMotif : {reason}\n" if reason else ""
    for user in recipients(db, case):
        if user.id == actor.user_id:
            continue
        queue_email(
            db,
            to=user.email,
            kind=f"case_revision_{revision.status.value}",
            subject=f"Retex : modification de « {case.title[:80]} » {verdict.split(' :')[0]}",
            body=(
                f"Bonjour {user.display_name},\n\n"
                f"La modification de l'expérience « {case.title} » proposée le "
                f"{revision.created_at:%d/%m/%Y} est {verdict}.\n{why}\n{link}\n"
            ),
        )
    db.flush()
    return revision


def pending_view(db: Session, case: CaseStudy, revision: CaseRevision) -> CaseStudyOut:
    """The case as it will read once the revision is approved (for its authors and the moderators)."""
    out = CaseStudyOut.model_validate(case).model_dump()
    changes = revision.changes
    for name, value in changes.items():
        if name not in ("themes", "territory_codes", "software_ids", "organisation_id", "links"):
            out[name] = value
    if "themes" in changes:
        out["themes"] = [ThemeOut.model_validate(t) for t in service.resolve_themes(db, changes["themes"])]
    if "territory_codes" in changes:
        territories = service.resolve_territories(db, changes["territory_codes"])
        out["territories"] = [TerritoryRef.model_validate(t) for t in territories]
    if "software_ids" in changes:
        software = service.resolve_software(db, changes["software_ids"])
        out["software"] = [SoftwareRef.model_validate(s) for s in software]
    if "organisation_id" in changes:
        organisation = service.resolve_organisation(db, changes["organisation_id"])
        out["organisation"] = OrganisationRef.model_validate(organisation) if organisation else None
    if "links" in changes:
        out["links"] = [LinkOut(**link) for link in changes["links"]]
    out |= {"version": "pending", "pending_revision_id": revision.id}
    return CaseStudyOut.model_validate(out)


def pending_values(case: CaseStudy, revision: CaseRevision | None) -> dict[str, Any]:
    """The editable fields of the version its authors are writing: published, plus what waits."""
    return snapshot(case) | (revision.changes if revision else {})
