"""The life of a case study: draft → submitted → published or rejected (with a reason) → archived.

Each allowed move names the permission it needs; every move is written to the history (who, when,
why) and the people concerned get an email."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts.models import Membership, MembershipStatus, User
from service.api.errors import ConflictError, InvalidFieldError
from service.api.text import visible_length
from service.authz.permissions import Action, authorize
from service.authz.principal import Principal
from service.casestudies.models import CaseStudy, PublicationState
from service.db.base import utcnow
from service.discussions.notify import notify_case_published
from service.emails.outbox import queue_email
from service.moderation.models import CaseStateChange

S = PublicationState
# (from, to) -> the permission the move needs.
TRANSITIONS: dict[tuple[PublicationState, PublicationState], Action] = {
    (S.draft, S.submitted): Action.submit_case,
    (S.rejected, S.submitted): Action.submit_case,
    (S.submitted, S.draft): Action.submit_case,  # withdrawn by its authors to rework it
    (S.rejected, S.draft): Action.submit_case,
    (S.published, S.archived): Action.submit_case,  # its authors may retire it
    (S.submitted, S.published): Action.review_cases,
    (S.submitted, S.rejected): Action.review_cases,
    (S.draft, S.published): Action.review_cases,  # a moderator publishing directly
    (S.archived, S.published): Action.review_cases,
    (S.published, S.rejected): Action.review_cases,  # withdrawn after publication (e.g. a report)
}
LABELS = {
    S.draft: "brouillon",
    S.submitted: "soumise pour relecture",
    S.published: "publiée",
    S.rejected: "refusée",
    S.archived: "archivée",
}
MIN_REASON = 10


def record_creation(db: Session, case: CaseStudy, actor: Principal) -> None:
    db.add(
        CaseStateChange(
            case_study_id=case.id, from_state=None, to_state=case.publication_state, actor_id=actor.user_id
        )
    )


def initial_state_allowed(principal: Principal, state: PublicationState) -> None:
    """Members create drafts or submit; only moderators create a case already published."""
    if state is S.published:
        authorize(principal, Action.review_cases)
    elif state not in (S.draft, S.submitted):
        raise InvalidFieldError(
            "une nouvelle expérience est un brouillon ou est soumise", field="publication_state"
        )


def recipients(db: Session, case: CaseStudy) -> list[User]:
    """Who hears of a moderator's decision on a case: its author and its organisation's members."""
    users: dict[int, User] = {}
    if case.author_id is not None and (author := db.get(User, case.author_id)) is not None:
        users[author.id] = author  # the author wrote it: their address is the one they confirmed or not
    if case.organisation_id is not None:
        for user in db.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == case.organisation_id,
                Membership.status == MembershipStatus.approved,
                User.is_active,
                User.email_verified_at.is_not(None),  # never write to an unconfirmed address
            )
        ):
            users[user.id] = user
    return list(users.values())


def change_state(
    db: Session,
    *,
    case: CaseStudy,
    to: PublicationState,
    actor: Principal,
    reason: str | None,
    public_url: str,
) -> CaseStateChange:
    current = case.publication_state
    if to is current:
        raise ConflictError(f"L'expérience est déjà {LABELS[to]}.")
    action = TRANSITIONS.get((current, to))
    if action is None:
        raise ConflictError(f"Une expérience {LABELS[current]} ne peut pas devenir {LABELS[to]}.", field="to")
    authorize(actor, action, case=case)
    reason = (reason or "").strip() or None
    if to is S.rejected and visible_length(reason or "") < MIN_REASON:
        raise InvalidFieldError(
            f"expliquez le refus à l'auteur ({MIN_REASON} caractères au moins) : il le recevra",
            field="reason",
        )
    case.publication_state = to
    if to is S.published and case.published_at is None:
        case.published_at = utcnow()
        notify_case_published(db, case, public_url=public_url)  # the first publication only
    change = CaseStateChange(
        case_study_id=case.id, from_state=current, to_state=to, actor_id=actor.user_id, reason=reason
    )
    db.add(change)
    if action is Action.review_cases:  # a moderator's decision: tell the authors
        link = f"{public_url.rstrip('/')}/experiences/{case.slug}"
        why = f"\nMotif : {reason}\n" if reason else ""
        for user in recipients(db, case):
            if user.id == actor.user_id:
                continue
            queue_email(
                db,
                to=user.email,
                kind=f"case_{to.value}",
                subject=f"Retex : « {case.title[:80]} » est {LABELS[to]}",
                body=(
                    f"Bonjour {user.display_name},\n\n"
                    f"L'expérience « {case.title} » est {LABELS[to]}.\n{why}\n{link}\n"
                ),
            )
    db.flush()
    return change


def history(db: Session, case: CaseStudy) -> list[CaseStateChange]:
    return list(
        db.scalars(
            select(CaseStateChange)
            .where(CaseStateChange.case_study_id == case.id)
            .order_by(CaseStateChange.created_at, CaseStateChange.id)
        )
    )
